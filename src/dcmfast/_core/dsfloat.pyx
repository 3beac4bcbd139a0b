# cython: language_level=3
"""DSfloat: a Decimal String value, a float that keeps the string it was read from.

Compiled, and not a GC type: its fields are a str and a flag, so it can never
be on a reference cycle, and DS values are made by the thousand per file (every
allocation of a GC type, tracked or not, counts towards the interpreter's next
collection; a class statement always makes a GC type). ``DSfloat(None)`` is
None and a blank string comes back as it is, as with pydicom's ``DSfloat``: an
extension type's ``__new__`` cannot return another object, so its ``tp_new``
slot is wrapped in C for that.
"""
cimport cython
from cpython.unicode cimport PyUnicode_DecodeASCII

from dcmfast._core.facing cimport facing_of

cdef extern from *:
    """
    static newfunc dcmfast_ds_base_new = NULL;
    /* DSfloat(None) -> None and DSfloat(<blank str>) -> that str (pydicom's rules);
       otherwise the type's own tp_new, given only the value: the other arguments
       (auto_format, validation_mode) are for __init__. */
    static PyObject* dcmfast_ds_new(PyTypeObject* type, PyObject* args, PyObject* kwds) {
        PyObject* val = NULL;
        PyObject* one;
        PyObject* obj;
        if (args != NULL && PyTuple_GET_SIZE(args) > 0) val = PyTuple_GET_ITEM(args, 0);
        else if (kwds != NULL) val = PyDict_GetItemString(kwds, "val");
        if (val == NULL) return dcmfast_ds_base_new(type, args, NULL);
        if (val == Py_None) { Py_INCREF(val); return val; }
        if (PyUnicode_Check(val)) {
            Py_ssize_t n = PyUnicode_GET_LENGTH(val), i;
            int kind = PyUnicode_KIND(val);
            const void* data = PyUnicode_DATA(val);
            for (i = 0; i < n; i++)
                if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) break;
            if (i == n) { Py_INCREF(val); return val; }
        }
        one = PyTuple_Pack(1, val);
        if (one == NULL) return NULL;
        obj = dcmfast_ds_base_new(type, one, NULL);
        Py_DECREF(one);
        return obj;
    }
    static void dcmfast_ds_install_new(PyObject* type) {
        PyTypeObject* t = (PyTypeObject*)type;
        if (dcmfast_ds_base_new == NULL) {
            dcmfast_ds_base_new = t->tp_new;
            t->tp_new = dcmfast_ds_new;
            PyType_Modified(t);
        }
    }
    """
    void dcmfast_ds_install_new(object type)


# (a function, not a cdef method: a method would add a vtable pointer, which
# instances made straight from tp_alloc below would lack)
cdef inline object _text_of(DSfloat d):
    """The string `d` was read from (None if made from a number)."""
    if d._nraw:
        d._text = PyUnicode_DecodeASCII(d._raw, d._nraw, NULL)
        d._nraw = 0
    return d._text


@cython.no_gc
cdef class DSfloat(float):
    """Decimal String value: a float that keeps the string it was read from.

    Parameters
    ----------
    val : str, float or DSfloat
        The value (a string is kept, stripped, as :attr:`original_string`).
    auto_format : bool
        Keep a string valid as DS: format the number in at most 16 characters where the
        string is missing or invalid (pydicom's rules).
    validation_mode : int, optional
        Accepted for pydicom compatibility (checks happen on assignment).
    """

    @property
    def __class__(self):
        # pydicom's DSfloat too once pydicom is imported (see dcmfast._core.facing)
        return facing_of(self)

    def __init__(self, val, auto_format=False, validation_mode=None):
        cdef bint checked = False
        if isinstance(val, str):
            self._text = (<str>val).strip()
            self._nraw = 0
        elif isinstance(val, DSfloat):
            if (<DSfloat>val)._auto:
                auto_format = checked = True  # its string was made valid already
            if _text_of(<DSfloat>val) is not None:
                self._text = (<DSfloat>val)._text
                self._nraw = 0
        self._auto = bool(auto_format)
        if self._auto and not checked:
            # pydicom's rules (a cold path: its functions are used as they are):
            # keep a valid DS string, else format the number in at most 16 characters
            from pydicom.valuerep import format_number_as_ds, is_valid_ds

            if _text_of(self) is None:
                self._text = format_number_as_ds(float(self))
            elif not is_valid_ds(self._text):
                self._text = format_number_as_ds(float(self._text))

    @property
    def original_string(self):
        """The string the value was read from (AttributeError when made from a number)."""
        if _text_of(self) is None:
            raise AttributeError("'DSfloat' object has no attribute 'original_string'")
        return self._text

    @original_string.setter
    def original_string(self, value):
        self._text = value
        self._nraw = 0

    @property
    def auto_format(self):
        """Whether str() gives a valid DS string made from the number."""
        return self._auto

    @auto_format.setter
    def auto_format(self, value):
        self._auto = bool(value)

    def __eq__(self, other):
        if isinstance(other, str):
            return str(self) == other
        return float(self) == other

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return float.__hash__(self)

    def __str__(self):
        if _text_of(self) is not None:
            return self._text
        return repr(self)[1:-1]

    def __repr__(self):
        if _text_of(self) is not None:
            return f"'{self._text}'"
        return f"'{float.__repr__(self)}'"

    def __reduce__(self):
        return (DSfloat, (str(self),))


dcmfast_ds_install_new(DSfloat)


cdef extern from *:
    """
    /* A new DSfloat straight from tp_alloc (zeroed memory: _text NULL, _auto 0),
       without tp_new's argument handling and temporary float. The struct is the one
       Cython declares for DSfloat (a macro: expanded after that declaration). */
    #define DCMFAST_DS_ALLOC(type) (((PyTypeObject*)(type))->tp_alloc((PyTypeObject*)(type), 0))
    #define DCMFAST_DS_SET(o, v, text) do { \
        ((PyFloatObject*)(o))->ob_fval = (v); \
        Py_INCREF(text); \
        ((struct __pyx_obj_7dcmfast_5_core_7dsfloat_DSfloat*)(o))->_text = (text); \
    } while (0)
    /* the same with the text kept as n <= 16 ASCII bytes (_text None until asked) */
    #define DCMFAST_DS_SET_RAW(o, v, p, n) do { \
        struct __pyx_obj_7dcmfast_5_core_7dsfloat_DSfloat* ds_ = \
            (struct __pyx_obj_7dcmfast_5_core_7dsfloat_DSfloat*)(o); \
        ((PyFloatObject*)(o))->ob_fval = (v); \
        Py_INCREF(Py_None); \
        ds_->_text = Py_None; \
        memcpy(ds_->_raw, (p), (size_t)(n)); \
        ds_->_nraw = (unsigned char)(n); \
    } while (0)
    """
    object DCMFAST_DS_ALLOC(object type)
    void DCMFAST_DS_SET(object o, double v, object text) noexcept
    void DCMFAST_DS_SET_RAW(object o, double v, const char* p, Py_ssize_t n) noexcept


cdef DSfloat new_dsfloat(double value, str text):
    """A DSfloat of `value` read from `text` (already stripped), without parsing."""
    obj = DCMFAST_DS_ALLOC(DSfloat)
    DCMFAST_DS_SET(obj, value, text)
    return <DSfloat>obj


cdef DSfloat new_dsfloat_ascii(double value, const char* text, Py_ssize_t n):
    """new_dsfloat for `n` (1 to 16) ASCII bytes: the str is made only if asked for."""
    if n > 16 or n < 1:
        return new_dsfloat(value, PyUnicode_DecodeASCII(text, n, NULL))
    obj = DCMFAST_DS_ALLOC(DSfloat)
    DCMFAST_DS_SET_RAW(obj, value, text, n)
    return <DSfloat>obj
