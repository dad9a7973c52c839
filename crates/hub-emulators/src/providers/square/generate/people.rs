//! The merchant's shops, its team (an owner, three to six barbers per shop and one former
//! barber) and its pool of customers.

use super::super::catalog::{
    CUSTOMER_SOURCE_WEIGHTS, FAMILY_NAMES, GIVEN_NAMES, ITEMS, STREETS, calling_code, city_of,
};
use super::super::ids::{IdKind, Rng};
use super::super::model::{Customer, Location, Millis, OpeningHours, TeamMember};
use super::labor::Barber;
use super::{Context, DAY, HOUR, MINUTE, local_instant};

/// Lower-case letters and digits of a name, words joined by `-` (`sharp-co-barbers`).
pub(super) fn slug(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.join("-")
}

fn hours(open: u16, close: u16) -> Option<OpeningHours> {
    Some(OpeningHours { open: open * 60, close: close * 60 })
}

/// A phone number in E.164 (`+12125550142`), in the 555 range where the country has one.
fn phone(rng: &mut Rng, country: &str, area: &str) -> String {
    format!("+{}{area}555{:04}", calling_code(country), rng.below(10_000))
}

pub(super) fn locations(context: &Context<'_>) -> Vec<Location> {
    let config = context.config;
    let domain = format!("{}.example", slug(&config.business_name));
    config
        .locations
        .iter()
        .enumerate()
        .map(|(number, spec)| {
            let mut rng = context.rng("location").fork("number", number as u64);
            let timezone_name = spec.timezone.name();
            let country = spec.currency.country(timezone_name);
            let (locality, region, area) = city_of(timezone_name);
            let late = rng.chance_per_mille(400);
            let weekday = if late { hours(10, 20) } else { hours(9, 19) };
            let sunday = if rng.chance_per_mille(500) { hours(10, 16) } else { None };
            let monday = if rng.chance_per_mille(300) { None } else { weekday };
            let opened = context.start_date - chrono::Days::new(200 + rng.below(1_800));
            let (tax_name, tax_rate) = spec.currency.product_tax();
            // Prices vary a little from shop to shop.
            let level = 90 + rng.below(31) as i64;
            Location {
                id: context.minter.id(IdKind::Location, number as u64),
                name: spec.name.clone(),
                timezone: spec.timezone,
                currency: spec.currency,
                country,
                language: spec.currency.language(country),
                address_line: format!(
                    "{} {}",
                    10 + rng.below(2_990),
                    rng.pick(&STREETS).copied().unwrap_or("Main Street")
                ),
                locality,
                region,
                postal_code: format!("{:05}", 10_000 + rng.below(89_999)),
                phone: phone(&mut rng, country, area),
                email: format!("{}@{domain}", slug(&spec.name)),
                created_at: local_instant(spec.timezone, opened, 10 * 60) + rng.between(0, 59) * MINUTE,
                hours: [monday, weekday, weekday, weekday, weekday, hours(8, 17), sunday],
                tax_name,
                tax_rate,
                bank_account_id: context.minter.id(IdKind::BankAccount, number as u64),
                prices: ITEMS.iter().map(|item| spec.currency.price(item.us_cents * level / 100)).collect(),
            }
        })
        .collect()
}

/// The team and, per location, the barbers who work there.
pub(super) struct Team {
    pub members: Vec<TeamMember>,
    pub rosters: Vec<Vec<Barber>>,
}

fn person(rng: &mut Rng) -> (String, String) {
    let given = rng.pick(&GIVEN_NAMES).copied().unwrap_or("Alex");
    let family = rng.pick(&FAMILY_NAMES).copied().unwrap_or("Smith");
    (given.to_owned(), family.to_owned())
}

pub(super) fn team(context: &Context<'_>, locations: &[Location]) -> Team {
    let domain = format!("{}.example", slug(&context.config.business_name));
    let mut rng = context.rng("team");
    let mut members = Vec::new();
    let mut member = |rng: &mut Rng, location: Option<&Location>, number: Option<u16>, hired: Millis| {
        let (given_name, family_name) = person(rng);
        let position = members.len() as u64;
        let (country, area) = match location {
            Some(location) => (location.country, city_of(location.timezone.name()).2),
            None => ("US", "212"),
        };
        let hourly_rate = location.map(|location| location.currency.price(1_500 + rng.below(8) as i64 * 100));
        members.push(TeamMember {
            id: context.minter.id(IdKind::TeamMember, position),
            email: format!("{}.{}{position}@{domain}", given_name.to_lowercase(), family_name.to_lowercase()),
            phone: phone(rng, country, area),
            given_name,
            family_name,
            is_owner: false,
            active: true,
            location: number,
            created_at: hired,
            updated_at: hired + rng.between(0, 30) * DAY + rng.between(0, 600) * MINUTE,
            hourly_rate,
            job_id: context.minter.id(IdKind::Job, u64::from(number.unwrap_or(u16::MAX))),
        });
        members.len() as u32 - 1
    };
    let first_opened = locations.iter().map(|location| location.created_at).min().unwrap_or_default();
    let owner = member(&mut rng, None, None, first_opened - 30 * DAY);
    let mut rosters = Vec::with_capacity(locations.len());
    for (number, location) in locations.iter().enumerate() {
        let barbers = 3 + rng.below(4);
        let mut roster = Vec::new();
        for seat in 0..barbers {
            let hired = location.created_at + rng.between(0, 400) * DAY + rng.between(0, 8 * 60) * MINUTE;
            let position = member(&mut rng, Some(location), Some(number as u16), hired);
            // Two days off a week, spread so that someone is always in.
            let first = ((seat as usize) * 2 + rng.below(2) as usize) % 7;
            roster.push(Barber { member: position, days_off: [first, (first + 3) % 7] });
        }
        rosters.push(roster);
    }
    // A barber who left before the history starts: searchable, but never on a shift.
    if let Some(location) = locations.first() {
        let hired = location.created_at + DAY;
        let former = member(&mut rng, Some(location), Some(0), hired) as usize;
        members[former].active = false;
        members[former].updated_at = (context.start_date.and_hms_opt(12, 0, 0))
            .map_or(hired, |noon| noon.and_utc().timestamp_millis() - 20 * DAY);
    }
    members[owner as usize].is_owner = true;
    Team { members, rosters }
}

/// How many customer profiles the merchant has: about one for every few visits, as regulars
/// come back every month or so.
fn pool_size(context: &Context<'_>) -> usize {
    let config = context.config;
    let (low, high) = config.orders_per_day;
    let visits = f64::from(config.days) * f64::from(low + high) / 2.0 * 6.0 / 7.0 * config.locations.len() as f64;
    let returns = (f64::from(config.days) / 28.0).min(8.0) + 1.0;
    ((visits * 0.72 / returns) as usize).clamp(30, 500_000)
}

/// Customers sorted by creation time, so that "created before t" is a prefix of the pool.
pub(super) fn customers(context: &Context<'_>, locations: &[Location]) -> Vec<Customer> {
    let mut rng = context.rng("customers");
    let start = locations
        .iter()
        .map(|location| local_instant(location.timezone, context.start_date, 0))
        .min()
        .unwrap_or_default();
    let span = i64::from(context.config.days) * DAY;
    let count = pool_size(context);
    let mut created: Vec<Millis> = (0..count)
        .map(|_| {
            if rng.chance_per_mille(300) {
                start - rng.between(HOUR, 365 * DAY)
            } else {
                start + rng.between(0, span - HOUR)
            }
        })
        .collect();
    created.sort_unstable();
    let history_end = start + span;
    created
        .into_iter()
        .enumerate()
        .map(|(position, created_at)| {
            let mut rng = rng.fork("customer", position as u64);
            let (given_name, family_name) = person(&mut rng);
            let home = rng.pick(locations);
            let (country, area) = home.map_or(("US", "212".to_owned()), |location| {
                (location.country, city_of(location.timezone.name()).2.to_owned())
            });
            let updates = if rng.chance_per_mille(200) { 1 + rng.below(3) } else { 0 };
            let updated_at = if updates > 0 {
                rng.between(created_at + MINUTE, history_end.max(created_at + HOUR))
            } else {
                created_at
            };
            let domain = ["example.com", "example.net", "example.org"][rng.below(3) as usize];
            Customer {
                id: context.minter.id(IdKind::Customer, position as u64),
                email: format!("{}.{}.{position}@{domain}", given_name.to_lowercase(), family_name.to_lowercase()),
                phone: phone(&mut rng, country, &area),
                note: rng.chance_per_mille(80).then(|| "Prefers a #2 guard on the sides".to_owned()),
                birthday: rng.chance_per_mille(350).then(|| {
                    let year = if rng.chance_per_mille(250) { 0 } else { 1955 + rng.below(55) };
                    format!("{year:04}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28))
                }),
                given_name,
                family_name,
                created_at,
                updated_at,
                version: 1 + updates,
                source: rng.weighted(&CUSTOMER_SOURCE_WEIGHTS) as u8,
                email_unsubscribed: rng.chance_per_mille(150),
                deleted: false,
            }
        })
        .collect()
}
