# cython: language_level=3
"""The class a dcmfast object reports as its ``__class__`` (pydicom interoperability).

With pydicom imported, every dcmfast dataset, element, sequence and value answers
``obj.__class__`` with a class that derives from both its own class and pydicom's
corresponding one (made by ``dcmfast._pydicom_compat``), so ``isinstance(obj,
pydicom.Dataset)`` (which, when the type test fails, consults ``obj.__class__``) is
true, while ``type(obj)`` stays the compiled class: objects are made exactly as
fast as without pydicom. Without pydicom, ``obj.__class__`` is ``type(obj)``.
"""
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject

cdef dict _FACING = {}   # type -> the class its instances report (filled on activation)
cdef object _maker = None  # makes (and records) the class of a type not yet in _FACING


cdef object facing_of(object obj):
    t = type(obj)
    cdef PyObject* found = PyDict_GetItem(_FACING, t)
    if found != NULL:
        return <object>found
    if _maker is None:
        return t
    return _maker(t)


def facing_class(obj):
    """``obj.__class__`` for dcmfast's Python value classes (a property's getter)."""
    return facing_of(obj)


def install(dict mapping, maker):
    """Record the classes instances report from now on (`maker(type)` for other types)."""
    global _maker
    _FACING.update(mapping)
    _maker = maker


def installed():
    """The recorded type -> class mapping (a copy)."""
    return dict(_FACING)
