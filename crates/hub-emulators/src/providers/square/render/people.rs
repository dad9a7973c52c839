//! `Location`, `TeamMember` and `Customer` as Square writes them.

use serde::Serialize;

use super::super::model::{Customer, Location, TeamMember};
use super::super::store::MerchantData;
use super::{Money, money, time};

const DAYS_OF_WEEK: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

#[derive(Serialize)]
pub(crate) struct AddressView<'a> {
    address_line_1: &'a str,
    locality: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    administrative_district_level_1: Option<&'a str>,
    postal_code: &'a str,
    country: &'a str,
}

#[derive(Serialize)]
struct PeriodView {
    day_of_week: &'static str,
    start_local_time: String,
    end_local_time: String,
}

#[derive(Serialize)]
struct BusinessHoursView {
    periods: Vec<PeriodView>,
}

#[derive(Serialize)]
pub(crate) struct LocationView<'a> {
    id: &'a str,
    name: &'a str,
    address: AddressView<'a>,
    timezone: &'a str,
    capabilities: [&'static str; 2],
    status: &'static str,
    created_at: String,
    merchant_id: &'a str,
    country: &'a str,
    language_code: &'a str,
    currency: &'static str,
    phone_number: &'a str,
    business_name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    business_hours: BusinessHoursView,
    business_email: &'a str,
    description: String,
    /// Merchant category code 7230: barber and beauty shops.
    mcc: &'static str,
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}:00", minutes / 60, minutes % 60)
}

pub(crate) fn location<'a>(data: &'a MerchantData, location: &'a Location) -> LocationView<'a> {
    let periods = location
        .hours
        .iter()
        .zip(DAYS_OF_WEEK)
        .filter_map(|(hours, day_of_week)| {
            hours.map(|hours| PeriodView {
                day_of_week,
                start_local_time: clock(hours.open),
                end_local_time: clock(hours.close),
            })
        })
        .collect();
    LocationView {
        id: &location.id,
        name: &location.name,
        address: AddressView {
            address_line_1: &location.address_line,
            locality: &location.locality,
            administrative_district_level_1: location.region,
            postal_code: &location.postal_code,
            country: location.country,
        },
        timezone: location.timezone.name(),
        capabilities: ["CREDIT_CARD_PROCESSING", "AUTOMATIC_TRANSFERS"],
        status: "ACTIVE",
        created_at: time(location.created_at),
        merchant_id: &data.merchant_id,
        country: location.country,
        language_code: location.language,
        currency: location.currency.code(),
        phone_number: &location.phone,
        business_name: &data.business_name,
        kind: "PHYSICAL",
        business_hours: BusinessHoursView { periods },
        business_email: &location.email,
        description: format!("{} in {}", data.business_name, location.locality),
        mcc: "7230",
    }
}

#[derive(Serialize)]
struct AssignedLocationsView<'a> {
    assignment_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location_ids: Option<[&'a str; 1]>,
}

#[derive(Serialize)]
struct JobAssignmentView<'a> {
    job_title: &'static str,
    pay_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hourly_rate: Option<Money>,
    job_id: &'a str,
}

#[derive(Serialize)]
struct WageSettingView<'a> {
    team_member_id: &'a str,
    job_assignments: [JobAssignmentView<'a>; 1],
    is_overtime_exempt: bool,
    version: u32,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
pub(crate) struct TeamMemberView<'a> {
    id: &'a str,
    is_owner: bool,
    status: &'static str,
    given_name: &'a str,
    family_name: &'a str,
    email_address: &'a str,
    phone_number: &'a str,
    created_at: String,
    updated_at: String,
    assigned_locations: AssignedLocationsView<'a>,
    wage_setting: WageSettingView<'a>,
}

pub(crate) fn team_member<'a>(data: &'a MerchantData, member: &'a TeamMember) -> TeamMemberView<'a> {
    let location = member.location.and_then(|number| data.locations.get(usize::from(number)));
    let assigned_locations = match location {
        Some(location) => {
            AssignedLocationsView { assignment_type: "EXPLICIT_LOCATIONS", location_ids: Some([&location.id]) }
        }
        None => AssignedLocationsView { assignment_type: "ALL_CURRENT_AND_FUTURE_LOCATIONS", location_ids: None },
    };
    let hourly_rate = member.hourly_rate.zip(location).map(|(rate, location)| money(rate, location.currency));
    let job = if member.is_owner {
        JobAssignmentView { job_title: "Owner", pay_type: "NONE", hourly_rate: None, job_id: &member.job_id }
    } else {
        JobAssignmentView { job_title: "Barber", pay_type: "HOURLY", hourly_rate, job_id: &member.job_id }
    };
    TeamMemberView {
        id: &member.id,
        is_owner: member.is_owner,
        status: if member.active { "ACTIVE" } else { "INACTIVE" },
        given_name: &member.given_name,
        family_name: &member.family_name,
        email_address: &member.email,
        phone_number: &member.phone,
        created_at: time(member.created_at),
        updated_at: time(member.updated_at),
        assigned_locations,
        wage_setting: WageSettingView {
            team_member_id: &member.id,
            job_assignments: [job],
            is_overtime_exempt: member.is_owner,
            version: 1,
            created_at: time(member.created_at),
            updated_at: time(member.created_at),
        },
    }
}

#[derive(Serialize)]
struct PreferencesView {
    email_unsubscribed: bool,
}

#[derive(Serialize)]
pub(crate) struct CustomerView<'a> {
    id: &'a str,
    created_at: String,
    updated_at: String,
    given_name: &'a str,
    family_name: &'a str,
    email_address: &'a str,
    phone_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    birthday: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    preferences: PreferencesView,
    creation_source: &'static str,
    version: u64,
}

pub(crate) fn customer(customer: &Customer) -> CustomerView<'_> {
    CustomerView {
        id: &customer.id,
        created_at: time(customer.created_at),
        updated_at: time(customer.updated_at),
        given_name: &customer.given_name,
        family_name: &customer.family_name,
        email_address: &customer.email,
        phone_number: &customer.phone,
        birthday: customer.birthday.as_deref(),
        note: customer.note.as_deref(),
        preferences: PreferencesView { email_unsubscribed: customer.email_unsubscribed },
        creation_source: customer.creation_source(),
        version: customer.version,
    }
}

#[derive(Serialize)]
pub(crate) struct MerchantView<'a> {
    id: &'a str,
    business_name: &'a str,
    country: &'a str,
    language_code: &'a str,
    currency: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    main_location_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<String>,
}

/// `Merchant`, as `GET /v2/merchants/me` returns it.
pub(crate) fn merchant(data: &MerchantData) -> MerchantView<'_> {
    let main = data.locations.get(usize::from(data.main_location()));
    MerchantView {
        id: &data.merchant_id,
        business_name: &data.business_name,
        country: main.map_or("US", |location| location.country),
        language_code: main.map_or("en-US", |location| location.language),
        currency: main.map_or("USD", |location| location.currency.code()),
        status: "ACTIVE",
        main_location_id: main.map(|location| location.id.as_str()),
        created_at: data.team.iter().find(|member| member.is_owner).map(|owner| time(owner.created_at)),
    }
}
