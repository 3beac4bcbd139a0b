# cython: language_level=3
"""BaseTag: an element tag, an int printed as ``(gggg,eeee)``, compared with
anything ``Tag()`` accepts.

Compiled, and so not a GC type: a class statement always makes one, and then
every tuple, list or dict entry holding a tag stays tracked by the cyclic GC
(a tuple is untracked only when nothing in it can be tracked). Tags are in
every (tag, value) pair and element dict a reader keeps, so a program holding
the elements of thousands of files had its full collections walk all of them.
"""
from cpython.object cimport Py_EQ, Py_NE

from dcmfast._core.facing cimport facing_of

cdef extern from *:
    """
    #include <stdio.h>
    /* hash and compare as the int they are (the int type's own slots) */
    static Py_hash_t dcmfast_int_hash(PyObject* o) { return PyLong_Type.tp_hash(o); }
    static PyObject* dcmfast_int_compare(PyObject* a, PyObject* b, int op) {
        return PyLong_Type.tp_richcompare(a, b, op);
    }
    /* "(GGGG,EEEE)" (json: "GGGGEEEE") for a tag in 0..0xFFFFFFFF; None otherwise */
    static PyObject* dcmfast_tag_text(PyObject* tag, int json) {
        char text[16];
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(tag, &overflow);
        if (overflow || v < 0 || v > 0xFFFFFFFFLL) {
            if (v == -1 && PyErr_Occurred()) return NULL;
            Py_INCREF(Py_None);
            return Py_None;
        }
        if (json)
            snprintf(text, sizeof(text), "%04X%04X", (unsigned)(v >> 16), (unsigned)(v & 0xFFFF));
        else
            snprintf(text, sizeof(text), "(%04X,%04X)", (unsigned)(v >> 16), (unsigned)(v & 0xFFFF));
        return PyUnicode_DecodeASCII(text, (Py_ssize_t)strlen(text), NULL);
    }
    """
    Py_hash_t dcmfast_int_hash(object o) except? -1
    object dcmfast_int_compare(object a, object b, int op)
    object dcmfast_tag_text(object tag, int json)

cdef object _Tag = None


cdef object _as_tag(object other):
    """`other` as an int to compare with, or None where Tag() refuses it."""
    global _Tag
    if isinstance(other, int):
        return other
    if _Tag is None:
        from dcmfast.tag import Tag

        _Tag = Tag
    try:
        return _Tag(other)
    except Exception:
        return None


cdef class BaseTag(int):
    """A DICOM tag: ``group << 16 | element``, compared and hashed as an int."""

    @property
    def __class__(self):
        # pydicom's BaseTag too once pydicom is imported (see dcmfast._core.facing)
        return facing_of(self)

    def __richcmp__(self, other, int op):
        # as pydicom's BaseTag: the other side goes through Tag(); what it refuses
        # is unequal, and cannot be ordered
        value = _as_tag(other)
        if value is None:
            if op == Py_EQ:
                return False
            if op == Py_NE:
                return True
            raise TypeError("Cannot compare Tag with non-Tag item")
        return dcmfast_int_compare(self, value, op)

    def __hash__(self):
        return dcmfast_int_hash(self)

    def __str__(self):
        text = dcmfast_tag_text(self, 0)
        if text is None:  # out of the tag range (BaseTag() does not check)
            return f"({self >> 16:04X},{self & 0xFFFF:04X})"
        return text

    def __repr__(self):
        return self.__str__()

    def __reduce__(self):
        return (BaseTag, (int(self),))

    @property
    def json_key(self):
        """The tag as DICOM JSON names it: eight upper-case hex digits, ``"00100010"``."""
        text = dcmfast_tag_text(self, 1)
        if text is None:
            return f"{self >> 16:04X}{self & 0xFFFF:04X}"
        return text

    @property
    def group(self):
        """The group number (the upper 16 bits)."""
        return self >> 16

    @property
    def element(self):
        """The element number (the lower 16 bits)."""
        return self & 0xFFFF

    @property
    def elem(self):
        """The element number (the lower 16 bits; pydicom's short name)."""
        return self & 0xFFFF

    @property
    def is_private(self):
        """True for a tag of an odd group (a private element)."""
        return (self >> 16) % 2 == 1

    @property
    def is_private_creator(self):
        """True for a private creator tag: odd group, element 0x0010-0x00FF."""
        return (self >> 16) % 2 == 1 and 0x0010 <= (self & 0xFFFF) < 0x0100

    @property
    def private_creator(self):
        """The tag of the private creator element that reserves this private tag's block."""
        return BaseTag((self & 0xFFFF0000) | ((self & 0xFFFF) >> 8))
