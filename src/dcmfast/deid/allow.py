"""Standard attributes that Table E.1-1 does not list and that de-identification keeps.

Anything neither in PS3.15 Table E.1-1 nor here is removed (see ``dcmfast.deid``'s
docstring for the order of the rules). The list is deliberately short and of
non-identifying content only: pixel and image description, image plane geometry,
acquisition and reconstruction parameters, SOP and coding identifiers.

Whatever is allowed here still goes through the VR rules first: a PN, AS, DA, DT or TM
value in an allowed group is treated as a name, an age or a date, not kept (except the
version dates of coding resources listed in ``ALLOW_TAGS``, which are kept as they are).
"""
from __future__ import annotations

from ..datadict import tag_for_keyword

# Whole groups of non-identifying standard attributes (Table E.1-1 entries in these
# groups still apply first: e.g. Protocol Name, Device Serial Number, Study ID).
ALLOW_GROUPS: frozenset[int] = frozenset({
    0x0018,  # acquisition parameters (Table E.1-1 lists the identifying ones)
    0x0020,  # image plane geometry, series/instance numbers, frame of reference (UIDs are U)
    0x0022,  # ophthalmic acquisition parameters
    0x0024,  # ophthalmic visual field parameters
    0x0028,  # image pixel description, LUTs, lossy compression, burned-in annotation flag
    0x003A,  # waveform description
    0x0054,  # nuclear medicine / PET acquisition description
    0x5400,  # waveform data
    0x7FE0,  # pixel data
})

_KEYWORDS = (
    # SOP common, image type and coding (group 0008)
    "SpecificCharacterSet", "ImageType", "SOPClassUID", "RelatedGeneralSOPClassUID",
    "OriginalSpecializedSOPClassUID", "Modality", "ConversionType", "PresentationIntentType",
    "Manufacturer", "ManufacturerModelName",
    "CodeValue", "CodingSchemeDesignator", "CodingSchemeVersion", "CodeMeaning", "LongCodeValue",
    "URNCodeValue", "MappingResource", "MappingResourceUID", "MappingResourceName", "ContextIdentifier",
    "ContextUID", "ContextGroupVersion", "ContextGroupLocalVersion", "ContextGroupExtensionFlag",
    "EquivalentCodeSequence", "CodingSchemeIdentificationSequence", "CodingSchemeUID",
    "CodingSchemeName", "CodingSchemeRegistry", "CodingSchemeExternalID",
    "ReferencedSOPClassUID", "ReferencedFrameNumber", "ReferencedSegmentNumber",
    "PurposeOfReferenceCodeSequence", "DerivationCodeSequence", "FrameType", "PixelPresentation",
    "VolumetricProperties", "VolumeBasedCalculationTechnique", "ComplexImageComponent",
    "AcquisitionContrast", "AnatomicRegionSequence", "AnatomicRegionModifierSequence",
    "PrimaryAnatomicStructureSequence", "PrimaryAnatomicStructureModifierSequence",
    "ReferencedSOPClassUIDInFile", "ReferencedTransferSyntaxUIDInFile",
    # structured content: structure and coded/numeric values only (never TextValue)
    "ValueType", "ConceptNameCodeSequence", "ConceptCodeSequence", "RelationshipType",
    "ContinuityOfContent", "MeasuredValueSequence", "NumericValue", "FloatingPointValue",
    "MeasurementUnitsCodeSequence", "ReferencedContentItemIdentifier", "ContentTemplateSequence",
    "TemplateIdentifier", "RealWorldValueMappingSequence", "RealWorldValueFirstValueMapped",
    "RealWorldValueLastValueMapped", "RealWorldValueIntercept", "RealWorldValueSlope",
    "RealWorldValueLUTData", "QuantityDefinitionSequence",
    # references between instances that Table E.1-1 does not list (it lists Referenced Image
    # and Source Image Sequence, X/Z/U*: kept with the UIDs inside remapped; Referenced Study
    # Sequence X/Z; Referenced Performed Procedure Step Sequence X/Z/D; Referenced Patient
    # Sequence X). Kept the way X/Z/U* is: the structure, every element inside by its own
    # rule (instance UIDs remapped by the UI rule, class UIDs kept), so that a reference to a
    # series or an instance still resolves in the output (SR, KOS, SEG, presentation states)
    "ReferencedSeriesSequence", "ReferencedInstanceSequence", "ReferencedSOPSequence",
    "StudiesContainingOtherReferencedInstancesSequence", "RelatedSeriesSequence",
    "CurrentRequestedProcedureEvidenceSequence", "PertinentOtherEvidenceSequence",
    "IdenticalDocumentsSequence",
    # added by de-identification itself
    "PatientIdentityRemoved", "DeidentificationMethod", "DeidentificationMethodCodeSequence",
)

ALLOW_TAGS: frozenset[int] = frozenset(tag_for_keyword(k) for k in _KEYWORDS)  # type: ignore[misc]

# UI attributes that identify a class, a transfer syntax or a coding resource (never an
# instance): kept. Every other UI value not in Table E.1-1 is replaced (U).
CLASS_UID_TAGS: frozenset[int] = frozenset(tag_for_keyword(k) for k in (  # type: ignore[misc]
    "SOPClassUID", "RelatedGeneralSOPClassUID", "OriginalSpecializedSOPClassUID",
    "ReferencedSOPClassUID", "ReferencedSOPClassUIDInFile", "ReferencedTransferSyntaxUIDInFile",
    "MediaStorageSOPClassUID", "TransferSyntaxUID", "ImplementationClassUID", "AffectedSOPClassUID",
    "RequestedSOPClassUID", "CodingSchemeUID", "MappingResourceUID", "ContextUID",
))

# File Meta elements kept (Media Storage SOP Instance UID is remapped by Table E.1-1; the
# AE titles and private information of the File Meta are removed).
FILE_META_KEEP: frozenset[int] = frozenset({
    0x00020000, 0x00020001, 0x00020002, 0x00020010, 0x00020012, 0x00020013,
})
