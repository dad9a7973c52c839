//! Customer: the franchisee a royalty invoice is billed to. `DisplayName` is unique among
//! customers (6240) and derived from the person's or company's name when absent.

use serde_json::{Map, Value, json};

use super::input::Input;
use super::{Record, currency_name, reference};
use crate::providers::quickbooks_online::fault::QboFault;
use crate::providers::quickbooks_online::money::Decimal;

/// A postal address (`BillAddr`), the lines QBO's `PhysicalAddress` has that the hub uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub country_sub_division_code: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

const ADDRESS_FIELDS: [&str; 6] = ["Line1", "Line2", "City", "CountrySubDivisionCode", "PostalCode", "Country"];

impl Address {
    fn parse(input: Input<'_>) -> Result<Self, QboFault> {
        Ok(Self {
            line1: input.text("Line1")?,
            line2: input.text("Line2")?,
            city: input.text("City")?,
            country_sub_division_code: input.text("CountrySubDivisionCode")?,
            postal_code: input.text("PostalCode")?,
            country: input.text("Country")?,
        })
    }

    fn render(&self) -> Value {
        let values =
            [&self.line1, &self.line2, &self.city, &self.country_sub_division_code, &self.postal_code, &self.country];
        let object: Map<String, Value> = ADDRESS_FIELDS
            .into_iter()
            .zip(values)
            .filter_map(|(key, value)| value.as_ref().map(|value| (key.to_owned(), json!(value))))
            .collect();
        Value::Object(object)
    }
}

/// The fields of a Customer the emulator keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Customer {
    pub display_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub company_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub bill_addr: Option<Address>,
    pub notes: Option<String>,
    pub active: bool,
    pub currency: String,
}

impl Customer {
    /// A new customer from a create body, in `home_currency` unless `CurrencyRef` says otherwise.
    pub fn create(input: Input<'_>, home_currency: &str) -> Result<Self, QboFault> {
        let blank = Self {
            display_name: String::new(),
            given_name: None,
            family_name: None,
            company_name: None,
            email: None,
            phone: None,
            bill_addr: None,
            notes: None,
            active: true,
            currency: home_currency.to_owned(),
        };
        let mut customer = blank.apply(input, false)?;
        if let Some(currency) = input.reference("CurrencyRef")? {
            customer.currency = currency.to_ascii_uppercase();
        }
        Ok(customer)
    }

    /// The customer after an update: `sparse` keeps every field the body leaves out, a full
    /// update clears them. The currency never changes once set.
    pub fn update(&self, input: Input<'_>, sparse: bool) -> Result<Self, QboFault> {
        let base = if sparse {
            self.clone()
        } else {
            Self {
                display_name: String::new(),
                given_name: None,
                family_name: None,
                company_name: None,
                email: None,
                phone: None,
                bill_addr: None,
                notes: None,
                active: true,
                currency: self.currency.clone(),
            }
        };
        let keep_name = sparse && !input.has("DisplayName");
        let mut customer = base.apply(input, keep_name)?;
        if keep_name {
            customer.display_name.clone_from(&self.display_name);
        }
        Ok(customer)
    }

    fn apply(mut self, input: Input<'_>, keep_name: bool) -> Result<Self, QboFault> {
        let set = |target: &mut Option<String>, key: &str| -> Result<(), QboFault> {
            if input.has(key) {
                *target = input.text(key)?;
            }
            Ok(())
        };
        set(&mut self.given_name, "GivenName")?;
        set(&mut self.family_name, "FamilyName")?;
        set(&mut self.company_name, "CompanyName")?;
        set(&mut self.notes, "Notes")?;
        if input.has("PrimaryEmailAddr") {
            self.email = input.email("PrimaryEmailAddr")?;
            if let Some(email) = &self.email {
                check_email(email, "PrimaryEmailAddr.Address")?;
            }
        }
        if input.has("PrimaryPhone") {
            self.phone = match input.object("PrimaryPhone")? {
                Some(phone) => phone.input().text("FreeFormNumber")?,
                None => None,
            };
        }
        if input.has("BillAddr") {
            self.bill_addr = match input.object("BillAddr")? {
                Some(address) => Some(Address::parse(address.input())?),
                None => None,
            };
        }
        if let Some(active) = input.boolean("Active")? {
            self.active = active;
        }
        if !keep_name {
            self.display_name = match input.text("DisplayName")? {
                Some(name) => name,
                None => self.derived_name().ok_or_else(|| QboFault::required("DisplayName"))?,
            };
        }
        Ok(self)
    }

    /// What QBO shows when no `DisplayName` is given: the company, else the person.
    fn derived_name(&self) -> Option<String> {
        if let Some(company) = &self.company_name {
            return Some(company.clone());
        }
        let person: Vec<&str> =
            [&self.given_name, &self.family_name].into_iter().flatten().map(String::as_str).collect();
        (!person.is_empty()).then(|| person.join(" "))
    }

    /// The JSON QBO returns; `balance` is the open balance of the customer's invoices.
    pub fn render(record: &Record<Self>, balance: Decimal) -> Value {
        let customer = &record.body;
        let mut object = record.header();
        let mut put = |key: &str, value: Value| {
            object.insert(key.to_owned(), value);
        };
        put("DisplayName", json!(customer.display_name));
        put("FullyQualifiedName", json!(customer.display_name));
        put("PrintOnCheckName", json!(customer.company_name.as_deref().unwrap_or(&customer.display_name)));
        for (key, value) in [
            ("GivenName", &customer.given_name),
            ("FamilyName", &customer.family_name),
            ("CompanyName", &customer.company_name),
            ("Notes", &customer.notes),
        ] {
            if let Some(value) = value {
                put(key, json!(value));
            }
        }
        if let Some(email) = &customer.email {
            put("PrimaryEmailAddr", json!({"Address": email}));
        }
        if let Some(phone) = &customer.phone {
            put("PrimaryPhone", json!({"FreeFormNumber": phone}));
        }
        if let Some(address) = &customer.bill_addr {
            put("BillAddr", address.render());
        }
        put("Active", json!(customer.active));
        put("Job", json!(false));
        put("BillWithParent", json!(false));
        put("Taxable", json!(false));
        put("Balance", balance.to_json());
        put("BalanceWithJobs", balance.to_json());
        put("CurrencyRef", reference(&customer.currency, Some(currency_name(&customer.currency))));
        put("PreferredDeliveryMethod", json!(if customer.email.is_some() { "Email" } else { "None" }));
        Value::Object(object)
    }
}

/// QBO's 2210 for an email address that is not `local@domain`.
pub(crate) fn check_email(email: &str, element: &str) -> Result<(), QboFault> {
    let valid = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.contains('@'))
        && !email.contains(char::is_whitespace);
    if valid { Ok(()) } else { Err(QboFault::invalid_email(element)) }
}
