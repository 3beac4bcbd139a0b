# cython: language_level=3
"""The compiled part of MultiValue (and so of Sequence): its list and constructor as
C fields, and item access, length and iteration without a Python frame.

``seq[i]`` on a sequence of thousands of items, and ``value[0]`` on multi-valued
numbers, are on the hot path of reading nested data; the rest of MultiValue (its
mutators, equality, str) stays in Python (dcmfast.valuerep).
"""
from dcmfast._core.facing cimport facing_of


cdef class MultiValueBase:
    """A list of values, with the constructor its mutators convert new values with."""

    @property
    def __class__(self):
        # pydicom's MultiValue / Sequence too once pydicom is imported (dcmfast._core.facing)
        return facing_of(self)

    def __getitem__(self, index):
        return self._list[index]

    def __len__(self):
        return len(self._list)

    def __iter__(self):
        return iter(self._list)

    def __contains__(self, value):
        return value in self._list

    def __reversed__(self):
        return reversed(self._list)
