//! The barbershop's menu and the word lists generated data is drawn from: services and retail
//! products with US prices, discounts, service charges, names, streets and cities.

use super::currency::Rate;

/// A service or a retail product.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CatalogItem {
    pub name: &'static str,
    pub variation: &'static str,
    pub product: bool,
    /// Price in US cents, converted per location currency.
    pub us_cents: i64,
    /// How long the service takes (0 for products).
    pub minutes: u16,
    /// How often it sells, relative to the others of its kind.
    pub weight: u32,
}

const fn service(name: &'static str, variation: &'static str, us_cents: i64, minutes: u16, weight: u32) -> CatalogItem {
    CatalogItem { name, variation, product: false, us_cents, minutes, weight }
}

const fn product(name: &'static str, variation: &'static str, us_cents: i64, weight: u32) -> CatalogItem {
    CatalogItem { name, variation, product: true, us_cents, minutes: 0, weight }
}

/// The menu: services first, then products.
pub(crate) const ITEMS: [CatalogItem; 22] = [
    service("Haircut", "Regular", 3_500, 30, 30),
    service("Skin Fade", "Regular", 4_200, 45, 20),
    service("Buzz Cut", "Regular", 2_500, 20, 8),
    service("Beard Trim", "Regular", 1_800, 15, 14),
    service("Haircut & Beard", "Combo", 5_000, 50, 12),
    service("Hot Towel Shave", "Regular", 4_000, 40, 6),
    service("Kids Cut", "Under 12", 2_200, 25, 9),
    service("Senior Cut", "65+", 2_500, 25, 5),
    service("Line Up", "Regular", 1_500, 15, 6),
    service("Head Shave", "Regular", 3_000, 30, 3),
    service("Gray Blending", "Regular", 3_000, 30, 2),
    service("Eyebrow Trim", "Regular", 800, 10, 3),
    product("Pomade", "Medium Hold 4 oz", 2_200, 10),
    product("Matte Clay", "3 oz", 2_400, 7),
    product("Beard Oil", "Cedarwood 1 oz", 1_800, 8),
    product("Beard Balm", "2 oz", 1_700, 4),
    product("Daily Shampoo", "8 oz", 1_600, 5),
    product("Conditioner", "8 oz", 1_600, 3),
    product("Aftershave Balm", "3.4 oz", 2_000, 3),
    product("Sea Salt Spray", "6 oz", 1_900, 3),
    product("Styling Comb", "Wide Tooth", 600, 2),
    product("Hair Tonic", "8 oz", 1_400, 2),
];

/// Order-level percentage discounts: name and rate.
pub(crate) const DISCOUNTS: [(&str, Rate); 5] = [
    ("Loyalty Reward", 10_000),
    ("First Visit", 15_000),
    ("Student", 10_000),
    ("Military & First Responders", 15_000),
    ("Senior Tuesday", 20_000),
];

/// Fixed service charges: name and amount in US cents.
pub(crate) const SERVICE_CHARGES: [(&str, i64); 2] = [("Booking Fee", 300), ("After-Hours Appointment", 1_000)];

/// `CustomerCreationSource` values the generated profiles come from, with weights.
pub(crate) const CUSTOMER_SOURCES: [&str; 4] = ["DIRECTORY", "APPOINTMENTS", "THIRD_PARTY", "IMPORT"];
pub(crate) const CUSTOMER_SOURCE_WEIGHTS: [u32; 4] = [45, 40, 5, 10];

/// `CardBrand` values, with weights.
pub(crate) const CARD_BRANDS: [&str; 4] = ["VISA", "MASTERCARD", "AMERICAN_EXPRESS", "DISCOVER"];
pub(crate) const CARD_BRAND_WEIGHTS: [u32; 4] = [55, 28, 12, 5];

/// Card entry methods, with weights.
pub(crate) const ENTRY_METHODS: [&str; 3] = ["CONTACTLESS", "EMV", "SWIPED"];
pub(crate) const ENTRY_METHOD_WEIGHTS: [u32; 3] = [65, 30, 5];

/// Reasons given for refunds.
pub(crate) const REFUND_REASONS: [&str; 5] = [
    "Customer not satisfied with cut",
    "Charged for the wrong service",
    "Duplicate charge",
    "Product returned unopened",
    "Goodwill gesture",
];

/// Notes customers leave on online bookings.
pub(crate) const BOOKING_NOTES: [&str; 5] = [
    "Same as last time please",
    "Running 5 minutes late maybe",
    "First time, looking for a low fade",
    "Keep the length on top",
    "Bringing my son too",
];

pub(crate) const GIVEN_NAMES: [&str; 48] = [
    "James", "Michael", "David", "Daniel", "Marcus", "Andre", "Luis", "Carlos", "Jamal", "Tyrone", "Kevin", "Brian",
    "Jason", "Anthony", "Chris", "Matthew", "Joshua", "Ryan", "Nathan", "Omar", "Ethan", "Noah", "Liam", "Mason",
    "Elijah", "Logan", "Lucas", "Aiden", "Diego", "Mateo", "Samuel", "Isaac", "Xavier", "Malik", "Darius", "Trevor",
    "Emma", "Olivia", "Sophia", "Maya", "Aaliyah", "Grace", "Chloe", "Zoe", "Hannah", "Priya", "Yuki", "Sean",
];

pub(crate) const FAMILY_NAMES: [&str; 48] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Okafor",
];

pub(crate) const STREETS: [&str; 12] = [
    "Main Street",
    "Oak Avenue",
    "Maple Street",
    "Broadway",
    "Elm Street",
    "Market Street",
    "Park Avenue",
    "Washington Street",
    "Lake Street",
    "Hill Road",
    "Church Street",
    "High Street",
];

/// The city, region and telephone area code of a time zone's best-known city; other zones
/// get the city named in the zone id.
pub(crate) fn city_of(timezone: &str) -> (String, Option<&'static str>, &'static str) {
    let known = match timezone {
        "America/New_York" => Some(("New York", Some("NY"), "212")),
        "America/Chicago" => Some(("Chicago", Some("IL"), "312")),
        "America/Denver" => Some(("Denver", Some("CO"), "303")),
        "America/Phoenix" => Some(("Phoenix", Some("AZ"), "602")),
        "America/Los_Angeles" => Some(("Los Angeles", Some("CA"), "213")),
        "America/Anchorage" => Some(("Anchorage", Some("AK"), "907")),
        "Pacific/Honolulu" => Some(("Honolulu", Some("HI"), "808")),
        "America/Toronto" => Some(("Toronto", Some("ON"), "416")),
        "America/Vancouver" => Some(("Vancouver", Some("BC"), "604")),
        "Europe/London" => Some(("London", None, "20")),
        "Australia/Sydney" => Some(("Sydney", Some("NSW"), "2")),
        "Asia/Tokyo" => Some(("Tokyo", None, "3")),
        _ => None,
    };
    match known {
        Some((city, region, area)) => (city.to_owned(), region, area),
        None => {
            let city = timezone.rsplit('/').next().unwrap_or(timezone).replace('_', " ");
            (city, None, "555")
        }
    }
}

/// The calling code of a country, for phone numbers.
pub(crate) fn calling_code(country: &str) -> &'static str {
    match country {
        "US" | "CA" => "1",
        "GB" => "44",
        "AU" => "61",
        "JP" => "81",
        "ES" => "34",
        "IE" => "353",
        "DE" => "49",
        "NL" => "31",
        "IT" => "39",
        _ => "33",
    }
}

/// Positions of the services in `ITEMS`, and of the products.
pub(crate) fn services() -> impl Iterator<Item = usize> {
    ITEMS.iter().enumerate().filter(|(_, item)| !item.product).map(|(index, _)| index)
}

pub(crate) fn products() -> impl Iterator<Item = usize> {
    ITEMS.iter().enumerate().filter(|(_, item)| item.product).map(|(index, _)| index)
}
