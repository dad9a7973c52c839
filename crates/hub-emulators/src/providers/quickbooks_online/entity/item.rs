//! Item: a product or service an invoice line sells ("Royalty", "Brand Fund", "Technology
//! Fee"). `Name` is unique among items (6240); the emulator serves `Service` and
//! `NonInventory` items.

use serde_json::{Value, json};

use super::input::Input;
use super::{Record, reference};
use crate::providers::quickbooks_online::fault::QboFault;
use crate::providers::quickbooks_online::money::Decimal;

/// The item types the emulator accepts (QBO has more: inventory, bundles, categories …).
const TYPES: [&str; 2] = ["Service", "NonInventory"];

/// The income account items post to when the request names none: a new QBO company's
/// "Services" income account.
const DEFAULT_INCOME_ACCOUNT: (&str, &str) = ("1", "Services");

/// The fields of an Item the emulator keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub name: String,
    pub description: Option<String>,
    pub sku: Option<String>,
    pub active: bool,
    pub taxable: bool,
    pub unit_price: Option<Decimal>,
    pub item_type: &'static str,
    pub income_account: String,
    pub income_account_name: Option<String>,
}

impl Item {
    pub fn create(input: Input<'_>) -> Result<Self, QboFault> {
        let mut item = Self::blank();
        item.set_name(input)?;
        item.apply_fields(input)
    }

    /// The item after an update: `sparse` keeps what the body leaves out, a full update resets
    /// it (the type stays unless the body names one).
    pub fn update(&self, input: Input<'_>, sparse: bool) -> Result<Self, QboFault> {
        let mut item = if sparse { self.clone() } else { Self { item_type: self.item_type, ..Self::blank() } };
        if !sparse || input.has("Name") {
            item.set_name(input)?;
        }
        item.apply_fields(input)
    }

    fn blank() -> Self {
        Self {
            name: String::new(),
            description: None,
            sku: None,
            active: true,
            taxable: false,
            unit_price: None,
            item_type: TYPES[0],
            income_account: DEFAULT_INCOME_ACCOUNT.0.to_owned(),
            income_account_name: Some(DEFAULT_INCOME_ACCOUNT.1.to_owned()),
        }
    }

    fn set_name(&mut self, input: Input<'_>) -> Result<(), QboFault> {
        self.name = input.text("Name")?.ok_or_else(|| QboFault::required("Name"))?;
        if self.name.contains(':') {
            return Err(QboFault::business(Some("Name"), "an item name cannot contain a colon (:)"));
        }
        Ok(())
    }

    fn apply_fields(mut self, input: Input<'_>) -> Result<Self, QboFault> {
        if input.has("Description") {
            self.description = input.text("Description")?;
        }
        if input.has("Sku") {
            self.sku = input.text("Sku")?;
        }
        if let Some(active) = input.boolean("Active")? {
            self.active = active;
        }
        if let Some(taxable) = input.boolean("Taxable")? {
            self.taxable = taxable;
        }
        if input.has("UnitPrice") {
            self.unit_price = input.decimal("UnitPrice")?;
            if self.unit_price.is_some_and(Decimal::is_negative) {
                return Err(QboFault::business(Some("UnitPrice"), "the unit price of an item cannot be negative"));
            }
        }
        if let Some(item_type) = input.text("Type")? {
            self.item_type =
                TYPES.into_iter().find(|known| known.eq_ignore_ascii_case(&item_type)).ok_or_else(|| {
                    QboFault::unsupported(format!(
                        "Item Type `{item_type}` is not served by the emulator (Service and NonInventory are)"
                    ))
                })?;
        }
        if let Some(account) = input.reference("IncomeAccountRef")? {
            let name = match input.object("IncomeAccountRef")? {
                Some(nested) => nested.input().text("name")?,
                None => None,
            };
            self.income_account = account;
            self.income_account_name = name;
        }
        Ok(self)
    }

    pub fn render(record: &Record<Self>) -> Value {
        let item = &record.body;
        let mut object = record.header();
        let mut put = |key: &str, value: Value| {
            object.insert(key.to_owned(), value);
        };
        put("Name", json!(item.name));
        put("FullyQualifiedName", json!(item.name));
        if let Some(description) = &item.description {
            put("Description", json!(description));
        }
        if let Some(sku) = &item.sku {
            put("Sku", json!(sku));
        }
        put("Active", json!(item.active));
        put("Taxable", json!(item.taxable));
        put("UnitPrice", item.unit_price.unwrap_or_default().to_json());
        put("Type", json!(item.item_type));
        put("IncomeAccountRef", reference(&item.income_account, item.income_account_name.as_deref()));
        put("TrackQtyOnHand", json!(false));
        Value::Object(object)
    }
}
