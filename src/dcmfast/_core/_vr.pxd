# The VRs of PS3.5 Table 6.2-1 as 16-bit codes: the two ASCII characters,
# the first in the high byte (as the scanner packs an explicit VR).
cdef enum:
    VR_AE = 0x4145
    VR_AS = 0x4153
    VR_AT = 0x4154
    VR_CS = 0x4353
    VR_DA = 0x4441
    VR_DS = 0x4453
    VR_DT = 0x4454
    VR_FD = 0x4644
    VR_FL = 0x464C
    VR_IS = 0x4953
    VR_LO = 0x4C4F
    VR_LT = 0x4C54
    VR_OB = 0x4F42
    VR_OD = 0x4F44
    VR_OF = 0x4F46
    VR_OL = 0x4F4C
    VR_OV = 0x4F56
    VR_OW = 0x4F57
    VR_PN = 0x504E
    VR_SH = 0x5348
    VR_SL = 0x534C
    VR_SQ = 0x5351
    VR_SS = 0x5353
    VR_ST = 0x5354
    VR_SV = 0x5356
    VR_TM = 0x544D
    VR_UC = 0x5543
    VR_UI = 0x5549
    VR_UL = 0x554C
    VR_UN = 0x554E
    VR_UR = 0x5552
    VR_US = 0x5553
    VR_UT = 0x5554
    VR_UV = 0x5556


cdef extern from *:
    """
    /* The 16-bit code of a VR given as an exact 2-character ASCII str, else 0
       (a str of another length, such as "OB or OW", or any other object). */
    static inline unsigned int dcmfast_vr_code(PyObject* s) {
        const Py_UCS1* d;
        if (!PyUnicode_CheckExact(s) || PyUnicode_GET_LENGTH(s) != 2
                || PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND)
            return 0;
        d = PyUnicode_1BYTE_DATA(s);
        return ((unsigned int)d[0] << 8) | d[1];
    }
    """
    unsigned int vr_code "dcmfast_vr_code"(object s) noexcept
