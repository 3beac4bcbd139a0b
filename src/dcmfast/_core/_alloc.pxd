# New instances without a Python-level call, shared by the compiled modules.

cdef extern from *:
    """
    /* cls.__new__(cls) through the type's tp_new slot, without the attribute
       lookup and argument wrapping of a Python-level call (a class defining
       __new__ in Python has slot_tp_new there, which calls it). */
    static PyObject* dcmfast_new_instance(PyObject* cls) {
        PyTypeObject* t = (PyTypeObject*)cls;
        PyObject* args = PyTuple_New(0);
        PyObject* obj;
        if (args == NULL) return NULL;
        obj = t->tp_new(t, args, NULL);
        Py_DECREF(args);
        return obj;
    }
    """
    object new_instance "dcmfast_new_instance"(object cls)
