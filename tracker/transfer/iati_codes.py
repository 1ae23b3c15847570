"""How the tracker's own words map to IATI codes: sectors to DAC purpose codes, regions to
locations.

Sectors: a portfolio names its sectors in its own words ("metallurgy"); IATI readers group
activities by the OECD DAC 5-digit purpose codes (vocabulary 1, IATI's Sector codelist). A
sector gets a DAC code only where one code fits it as a whole; "energy" (which kind of
generation?) or "trade and logistics" (trade facilitation, or storage?) fit none and keep
only the portfolio's own code (vocabulary 99). The codes are those of IATI-Codelists-
NonEmbedded ``xml/Sector.xml`` (June 2026), all active.

Regions: ISO 3166-2 codes are no IATI geographic vocabulary, so a region is a ``location``
whose own ``ref`` is its ISO 3166-2 code, classed as an administrative region
(LocationClass 1) of the first order (GeoNames feature ``ADM1``), within its country given
in the ISO 3166-1 vocabulary (GeographicVocabulary ``A4``, level 0).
"""

from __future__ import annotations

#: The portfolio's sector (lower case) → the DAC 5-digit purpose code that fits it.
DAC_SECTORS: dict[str, str] = {
    "automotive": "32172",  # Transport equipment industry
    "metallurgy": "32169",  # Basic metal industries
    "textiles": "32163",  # Textiles, leather and substitutes
    "food industry": "32161",  # Agro-industries
    "petrochemicals": "32164",  # Chemicals
    "chemicals": "32164",  # Chemicals
    "pharmaceuticals": "32168",  # Pharmaceutical production
    "fertilisers": "32165",  # Fertilizer plants
    "construction materials": "32166",  # Cement/lime/plaster
    "household appliances": "32171",  # Engineering (electrical and other machinery)
    "finance": "24030",  # Formal sector financial intermediaries
    "tourism": "33210",  # Tourism policy and administrative management (its one code)
    "science and technology": "32182",  # Technological research and development
    "agriculture": "31120",  # Agricultural development
}
DAC_VOCABULARY = "1"  # OECD DAC CRS purpose codes, 5 digits
OWN_VOCABULARY = "99"  # the reporting organisation's own
#: Where the reporting organisation's sector vocabulary (99) is described.
OWN_VOCABULARY_URI = "urn:x-tracker:sectors"

COUNTRY_VOCABULARY = "A4"  # GeographicVocabulary: ISO Country (3166-1 alpha-2)
ADMINISTRATIVE_REGION = "1"  # LocationClass
FIRST_ORDER_DIVISION = "ADM1"  # GeographicFeatureDesignation (GeoNames)
ACTIVITY_HAPPENS_HERE = "1"  # LocationReach: the activity takes place there


def dac_sector(sector: str) -> str | None:
    """The DAC 5-digit code that fits the portfolio's ``sector``, if one does."""
    return DAC_SECTORS.get(sector.strip().lower())
