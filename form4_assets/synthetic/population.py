"""The synthetic mirror's cast: issuers, insiders and funds, reused across every day.

A realistic mirror needs the same people filing again and again (so amendments, rolling
windows and cluster buys have something to find), people tied to one or two issuers with
a role, and funds that file jointly with their general partner. Everything here is drawn
from one seeded ``random.Random`` so the population is identical for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

#: CIKs that synthetic entities must never use: the seed filing's issuer (NLY) and owner,
#: and the filer agents whose CIKs prefix accession numbers.
RESERVED_CIKS = frozenset({1043219, 1688537, 899243, 1209191, 1127602, 1225208, 1181431,
                           1562180, 1628280, 950170, 1415889, 1140361, 950103, 1193125})
RESERVED_TICKERS = frozenset({"NLY"})

_FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
          "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
          "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily "
          "Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah "
          "Timothy Stephanie Ronald Rebecca Edward Sharon Jason Laura Jeffrey Cynthia Ryan Amy "
          "Jacob Kathleen Gary Angela Nicholas Helen Eric Anna Jonathan Brenda Stephen Pamela "
          "Priya Wei Hiroshi Olga Rafael Ingrid Mateo Aisha Sven Chen").split()
_LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
         "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
         "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
         "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
         "Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
         "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed "
         "Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray "
         "Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
         "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Fisher "
         "Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin "
         "Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens "
         "Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy "
         "Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter "
         "Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner "
         "Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels "
         "O'Brien Van der Berg").split()
_SUFFIX = ("", "", "", "", "", "", "", "", "Jr.", "III", "Jr", "II")
_WORDS = ("Apex Blue Ridge Cascade Summit Harbor Granite Meridian Pioneer Sterling Vertex Horizon "
          "Northstar Evergreen Redwood Atlas Beacon Keystone Liberty Pinnacle Sequoia Silverline "
          "Tidewater Trident Unity Zenith Aurora Bayside Crescent Delta Eastgate Falcon Frontier "
          "Golden Heritage Ironwood Juniper Lakeshore Lumen Mariner Monarch Nova Oakmont Orion "
          "Pacific Quantum Riverbend Sagebrush Solstice Stonebridge Sunrise Titan Valley Westfield "
          "Willow Arcadia Bristol Cobalt Copper Emerald Helix Kestrel Lattice Nimbus Polaris "
          "Radiant Sapphire Spectra Tundra Verdant").split()
_INDUSTRY = (
    (2834, "PHARMACEUTICAL PREPARATIONS", "03 Life Sciences", ("Therapeutics", "Pharmaceuticals", "Biosciences")),
    (2836, "BIOLOGICAL PRODUCTS, (NO DIAGNOSTIC SUBSTANCES)", "03 Life Sciences", ("Bio", "Biologics", "Genomics")),
    (3841, "SURGICAL & MEDICAL INSTRUMENTS & APPARATUS", "08 Industrial Applications and Services",
     ("Medical", "Surgical")),
    (7372, "SERVICES-PREPACKAGED SOFTWARE", "06 Technology", ("Software", "Systems", "Cloud")),
    (7370, "SERVICES-COMPUTER PROGRAMMING, DATA PROCESSING, ETC.", "06 Technology", ("Data", "Digital", "Networks")),
    (3674, "SEMICONDUCTORS & RELATED DEVICES", "04 Manufacturing", ("Semiconductor", "Microsystems")),
    (6022, "STATE COMMERCIAL BANKS", "02 Finance", ("Bancorp", "Bancshares", "Financial")),
    (6021, "NATIONAL COMMERCIAL BANKS", "02 Finance", ("Bank", "Financial Group")),
    (6798, "REAL ESTATE INVESTMENT TRUSTS", "05 Real Estate & Construction", ("Realty", "Properties", "REIT")),
    (1311, "CRUDE PETROLEUM & NATURAL GAS", "01 Energy & Transportation", ("Energy", "Resources", "Petroleum")),
    (4911, "ELECTRIC SERVICES", "01 Energy & Transportation", ("Power", "Electric", "Utilities")),
    (5812, "RETAIL-EATING PLACES", "07 Trade & Services", ("Restaurants", "Hospitality")),
    (3711, "MOTOR VEHICLES & PASSENGER CAR BODIES", "04 Manufacturing", ("Motors", "Mobility")),
    (4813, "TELEPHONE COMMUNICATIONS (NO RADIOTELEPHONE)", "06 Technology", ("Communications", "Telecom")),
    (3720, "AIRCRAFT & PARTS", "04 Manufacturing", ("Aerospace", "Aviation")),
)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CORP_SUFFIX = ("Inc.", "Inc", "Corp", "Corporation", "Holdings, Inc.", "Co", "Group, Inc.", "Ltd", "plc")
_CITIES = (
    ("NEW YORK", "NY", "100"), ("SAN FRANCISCO", "CA", "941"), ("BOSTON", "MA", "021"),
    ("CAMBRIDGE", "MA", "021"), ("AUSTIN", "TX", "787"), ("HOUSTON", "TX", "770"),
    ("CHICAGO", "IL", "606"), ("SEATTLE", "WA", "981"), ("DENVER", "CO", "802"),
    ("ATLANTA", "GA", "303"), ("MIAMI", "FL", "331"), ("PALO ALTO", "CA", "943"),
    ("SAN DIEGO", "CA", "921"), ("CHARLOTTE", "NC", "282"), ("MINNEAPOLIS", "MN", "554"),
    ("PHILADELPHIA", "PA", "191"), ("NASHVILLE", "TN", "372"), ("GREENWICH", "CT", "068"),
    ("WILMINGTON", "DE", "198"), ("COLUMBUS", "OH", "432"),
)
_STREETS = ("Main Street", "Market Street", "Park Avenue", "Avenue of the Americas", "Binney Street",
            "Congress Avenue", "Wacker Drive", "Peachtree Street NE", "Sand Hill Road", "Elm Street",
            "Commerce Drive", "Technology Parkway", "Harbor Boulevard", "Lexington Avenue")
_STATES_INC = ("DE", "DE", "DE", "DE", "NV", "MD", "NY", "CA", "TX", "E9", "D0")
_OFFICER_TITLES = ("Chief Executive Officer", "President and CEO", "Chief Financial Officer", "EVP & CFO",
                   "General Counsel", "EVP, General Counsel and Secretary", "Chief Operating Officer",
                   "Chief Accounting Officer", "SVP, Operations", "Chief Technology Officer",
                   "EVP, Chief Commercial Officer", "Chief Medical Officer", "SVP, Human Resources",
                   "See Remarks", "Chief People Officer", "Treasurer")


@dataclass(frozen=True)
class Address:
    street1: str
    street2: str
    city: str
    state: str
    zip: str


@dataclass
class Issuer:
    """A company whose insiders file; ``price`` moves by a random walk day to day."""

    cik: int
    name: str
    ticker: str
    sic_code: int
    sic_desc: str
    org_name: str
    irs: str
    state_inc: str
    fye: str
    address: Address
    phone: str
    file_number: str
    former_name: tuple[str, str] | None
    price: float
    units: list[FilerUnit] = field(default_factory=list)


@dataclass(frozen=True)
class Owner:
    """A reporting person or entity (a CIK that files Forms 3/4/5)."""

    cik: int
    name: str
    address: Address
    signer: str


@dataclass(frozen=True)
class Relationship:
    """An owner's relationship to one issuer, as the reportingOwnerRelationship states it."""

    is_director: bool
    is_officer: bool
    is_ten_pct: bool
    is_other: bool
    title: str | None = None
    other_text: str | None = None


@dataclass
class FilerUnit:
    """Who files together about one issuer: one person, or a fund with its GP (joint)."""

    issuer: Issuer
    members: list[tuple[Owner, Relationship]]
    kind: str  # "person" or "fund"

    @property
    def holder(self) -> int:
        """Whose holdings the rows report: the first reporting owner's CIK."""
        return self.members[0][0].cik


@dataclass
class Population:
    issuers: list[Issuer]
    units: list[FilerUnit]
    owners: list[Owner]


class _Unique:
    """Draws values from a factory until one not yet used (and not reserved) comes out."""

    def __init__(self, reserved: frozenset = frozenset()) -> None:
        self.used: set = set(reserved)

    def take(self, factory):
        while True:
            value = factory()
            if value not in self.used:
                self.used.add(value)
                return value


def _address(rng: random.Random, company: str | None = None) -> Address:
    city, state, zip3 = rng.choice(_CITIES)
    street = f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}".upper()
    street2 = rng.choice(("", "", f"SUITE {rng.randint(100, 4000)}", f"FLOOR {rng.randint(2, 60)}"))
    if company is not None:
        street, street2 = f"C/O {company.upper()}", street
    return Address(street, street2, city, state, f"{zip3}{rng.randint(0, 99):02d}")


def build_population(rng: random.Random, n_issuers: int) -> Population:
    """Issuers with their insiders (persons) and fund groups, all with unique CIKs and names."""
    ciks = _Unique(RESERVED_CIKS)
    tickers = _Unique(RESERVED_TICKERS)
    names = _Unique()
    issuers: list[Issuer] = []
    for _ in range(n_issuers):
        sic, desc, org, words = rng.choice(_INDUSTRY)

        def company() -> str:
            base = rng.choice(_WORDS)
            if rng.random() < 0.06:
                base = f"{base} & {rng.choice(_WORDS)}"
            return f"{base} {rng.choice(words)} {rng.choice(_CORP_SUFFIX)}"

        name = names.take(company)
        ticker = tickers.take(lambda: "".join(rng.choice(_LETTERS) for _ in range(rng.randint(2, 4))))
        address = _address(rng)
        former = None
        if rng.random() < 0.2:
            former = (f"{rng.choice(_WORDS)} {rng.choice(words)} Inc".upper(),
                      f"{rng.randint(1995, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}")
        issuers.append(Issuer(
            cik=ciks.take(lambda: rng.randint(1750, 1999999)), name=name, ticker=ticker,
            sic_code=sic, sic_desc=desc, org_name=org, irs=f"{rng.randint(10, 99)}{rng.randint(0, 9999999):07d}",
            state_inc=rng.choice(_STATES_INC), fye=rng.choice(("1231", "1231", "1231", "0630", "0930", "0331")),
            address=address, phone=f"{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
            file_number=f"001-{rng.randint(10000, 42000)}", former_name=former,
            price=round(rng.lognormvariate(3.3, 0.9), 2) + 1.0,
        ))

    owners: list[Owner] = []
    units: list[FilerUnit] = []

    def person(company: str | None, address: Address | None = None) -> Owner:
        def full() -> str:
            middle = rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.7 else ""
            parts = [rng.choice(_LAST), rng.choice(_FIRST), middle, rng.choice(_SUFFIX)]
            return " ".join(p for p in parts if p)

        name = names.take(full)
        last, first = name.split(" ")[0], name.split(" ")[1]
        owner = Owner(ciks.take(lambda: rng.randint(1200000, 2099999)), name,
                      address or _address(rng, company), f"{first} {last}")
        owners.append(owner)
        return owner

    directors: list[Owner] = []
    for issuer in issuers:
        for k in range(rng.randint(3, 7)):
            title = "Chief Executive Officer" if k == 0 else rng.choice(_OFFICER_TITLES)
            is_dir = k == 0 and rng.random() < 0.6
            issuer.units.append(
                FilerUnit(issuer, [(person(issuer.name), Relationship(is_dir, True, False, False, title))], "person"))
        for _ in range(rng.randint(3, 8)):
            if directors and rng.random() < 0.08:
                pick = rng.randrange(len(directors))
                owner = directors[pick]  # sits on a second board (and no third)
                if any(u.members[0][0] is owner for u in issuer.units):
                    continue
                directors[pick] = directors[-1]  # removed in O(1): the population has ~40,000 owners
                directors.pop()
            else:
                owner = person(issuer.name)
                directors.append(owner)
            is_other = rng.random() < 0.03
            rel = Relationship(True, False, False, is_other,
                               other_text="Member of 13(d) group" if is_other else None)
            issuer.units.append(FilerUnit(issuer, [(owner, rel)], "person"))
        units += issuer.units

    # Funds: a fund, its general partner and sometimes the managing member, all 10% owners.
    n_funds = max(4, n_issuers // 4)
    for _ in range(n_funds):

        def fund_name() -> str:
            # Two words for some families: a large population would exhaust single-word names.
            word = rng.choice(_WORDS) if rng.random() < 0.7 else f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"
            return f"{word} {rng.choice(('Capital', 'Partners', 'Ventures', 'Opportunity'))} " \
                   f"{rng.choice(('Fund', 'Master Fund', 'Partners'))} " \
                   f"{rng.choice(('I', 'II', 'III', 'IV', 'V', 'VI'))}, L.P."

        fname = names.take(fund_name)
        # The general partner is named after its fund, so it is as unique as the fund.
        gp_name = f"{fname.split(',')[0]} GP {rng.choice(('LLC', 'L.L.C.', 'Ltd.'))}"
        names.used.add(gp_name)
        addr = _address(rng)
        fund = Owner(ciks.take(lambda: rng.randint(1500000, 2099999)), fname, addr, "")
        gp = Owner(ciks.take(lambda: rng.randint(1500000, 2099999)), gp_name, addr, "")
        owners += [fund, gp]
        group: list[Owner] = [fund, gp]
        if rng.random() < 0.4:
            group.append(person(None, addr))
        manager = group[-1] if len(group) == 3 else None
        for issuer in rng.sample(issuers, 1 if rng.random() < 0.85 else 2):
            members = [(o, Relationship(False, False, True, False)) for o in group]
            if manager is not None and rng.random() < 0.5:
                members[-1] = (manager, Relationship(True, False, True, False))
            unit = FilerUnit(issuer, members, "fund")
            units.append(unit)
            issuer.units.append(unit)
    return Population(issuers, units, owners)
