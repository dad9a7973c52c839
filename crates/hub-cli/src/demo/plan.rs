//! The demo network: a barbershop brand with three franchisees in three territories, and where
//! each shop's point of sale lives in the Square emulator.

use anyhow::Context;
use hub_core::access::TenantScope;
use hub_core::id::NetworkId;
use hub_core::page::PageRequest;
use hub_core::tenancy::{Currency, Location, Name, NewFranchisee, NewLocation, NewTerritory, TimeZone};
use hub_store::{ChangeContext, Store};

/// The demo network's name: how a second run finds the network the first one made.
pub const NETWORK_NAME: &str = "Fade & Co. Barbers (demo)";

/// One franchisee of the demo, its territory and the cities its shops are in.
struct FranchiseePlan {
    name: &'static str,
    territory: &'static str,
    cities: &'static [(&'static str, &'static str)],
}

const FRANCHISEES: [FranchiseePlan; 3] = [
    FranchiseePlan {
        name: "North Shears LLC",
        territory: "Great Lakes",
        cities: &[
            ("Chicago Loop", "America/Chicago"),
            ("Milwaukee Third Ward", "America/Chicago"),
            ("Detroit Midtown", "America/Detroit"),
            ("Minneapolis North Loop", "America/Chicago"),
        ],
    },
    FranchiseePlan {
        name: "Lone Star Grooming Inc.",
        territory: "South",
        cities: &[
            ("Austin South Congress", "America/Chicago"),
            ("Houston Heights", "America/Chicago"),
            ("Dallas Deep Ellum", "America/Chicago"),
            ("San Antonio Pearl", "America/Chicago"),
        ],
    },
    FranchiseePlan {
        name: "Front Range Clippers LLC",
        territory: "Mountain West",
        cities: &[
            ("Denver RiNo", "America/Denver"),
            ("Boulder Pearl Street", "America/Denver"),
            ("Salt Lake Sugar House", "America/Denver"),
            ("Phoenix Roosevelt Row", "America/Phoenix"),
        ],
    },
];

/// A demo shop: the hub location and the Square seller account behind it.
#[derive(Debug, Clone)]
pub struct DemoShop {
    pub location: Location,
    /// The emulated Square merchant (one seller account per shop).
    pub merchant_id: String,
    /// The shop's number in the demo, from 0: seeds its data.
    pub index: usize,
}

/// The merchant id of the shop numbered `index`.
fn merchant_id(index: usize) -> String {
    format!("MLDEMO{:04}", index + 1)
}

/// The city names of `count` shops, dealt round-robin across the franchisees.
fn shop_names(count: usize) -> Vec<(usize, String, &'static str)> {
    (0..count)
        .map(|index| {
            let franchisee = index % FRANCHISEES.len();
            let cities = FRANCHISEES[franchisee].cities;
            let slot = index / FRANCHISEES.len();
            let (city, zone) = cities[slot % cities.len()];
            let name =
                if slot < cities.len() { city.to_owned() } else { format!("{city} {}", slot / cities.len() + 1) };
            (franchisee, name, zone)
        })
        .collect()
}

/// The demo network with its shops, created on the first run and found on the next ones.
pub struct DemoNetwork {
    pub network_id: NetworkId,
    pub shops: Vec<DemoShop>,
    /// Whether this run created it.
    pub created: bool,
}

/// Finds the demo network in `store`, or creates it with `locations` shops.
pub async fn find_or_create(store: &dyn Store, locations: usize) -> anyhow::Result<DemoNetwork> {
    let existing = store.list_networks().await?.into_iter().find(|network| network.name.as_str() == NETWORK_NAME);
    if let Some(network) = existing {
        let shops = existing_shops(store, &network.id).await?;
        return Ok(DemoNetwork { network_id: network.id, shops, created: false });
    }
    let ctx = ChangeContext::cli();
    let usd = Currency::parse("USD").context("USD")?;
    let network = store.create_network(&ctx, Name::parse(NETWORK_NAME)?, usd).await?;
    let scope = TenantScope::network(network.id.clone());
    let mut franchisees = Vec::new();
    for plan in &FRANCHISEES {
        let territory = store
            .create_territory(&scope, &ctx, NewTerritory { name: Name::parse(plan.territory)?, parent_id: None })
            .await?;
        let franchisee = store
            .create_franchisee(&scope, &ctx, NewFranchisee { name: Name::parse(plan.name)?, currency: usd })
            .await?;
        franchisees.push((franchisee, territory));
    }
    let mut shops = Vec::new();
    for (index, (franchisee, name, zone)) in shop_names(locations).into_iter().enumerate() {
        let (franchisee, territory) = &franchisees[franchisee];
        let new = NewLocation {
            franchisee_id: franchisee.id.clone(),
            name: Name::parse(&name)?,
            time_zone: TimeZone::parse(zone)?,
            territory_id: Some(territory.id.clone()),
        };
        let location = store.create_location(&scope, &ctx, new).await?;
        shops.push(DemoShop { location, merchant_id: merchant_id(index), index });
    }
    Ok(DemoNetwork { network_id: network.id, shops, created: true })
}

/// The shops of a demo network made by an earlier run, numbered in creation order.
async fn existing_shops(store: &dyn Store, network_id: &NetworkId) -> anyhow::Result<Vec<DemoShop>> {
    let scope = TenantScope::network(network_id.clone());
    let mut locations: Vec<Location> = Vec::new();
    let mut page = PageRequest { limit: 500, after: None };
    loop {
        let listed = store.list_locations(&scope, &page).await?;
        locations.extend(listed.items);
        match listed.next_cursor {
            Some(cursor) => page.after = Some(hub_core::page::decode_cursor(&cursor)?),
            None => break,
        }
    }
    locations.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(locations
        .into_iter()
        .enumerate()
        .map(|(index, location)| DemoShop { location, merchant_id: merchant_id(index), index })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shops_are_dealt_across_franchisees_with_unique_names() {
        let names = shop_names(12);
        assert_eq!(names.iter().filter(|(franchisee, ..)| *franchisee == 0).count(), 4);
        let mut unique: Vec<_> = names.iter().map(|(_, name, _)| name.clone()).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 12);
        let many = shop_names(30);
        let mut unique: Vec<_> = many.iter().map(|(_, name, _)| name.clone()).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 30, "more shops than cities get numbered names");
        assert_eq!(merchant_id(0), "MLDEMO0001");
    }
}
