//! Every key the emulator emits is one QBO's official XSDs declare: whole responses are checked
//! against `IntuitResponse` (entities through the `IntuitObject` substitution group, refs'
//! `value` as their text content), recursively down to line details and references.
//!
//! The XSDs live in `shared/specs/quickbooks` beside the repository; without them the test is
//! skipped with a note, except under `CI=true`, where it fails.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{REALM, connect, id};
use crate::common::Harness;

const SPEC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/specs/quickbooks");
const FILES: [&str; 5] =
    ["IntuitBaseTypes.xsd", "IntuitNamesTypes.xsd", "Finance.xsd", "Report.xsd", "IntuitRestServiceDef.xsd"];
const XS: &str = "http://www.w3.org/2001/XMLSchema";

/// What a JSON key may stand for in a type.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Member {
    /// A child element of this type.
    Element(String),
    /// An attribute, or the text content of a simple-content type (`value`): a scalar.
    Scalar,
}

#[derive(Debug, Default)]
struct ComplexType {
    base: Option<String>,
    members: HashMap<String, Member>,
    /// `ref="…"` particles: a global element or any element of its substitution group.
    refs: Vec<String>,
}

#[derive(Debug, Default)]
struct Schema {
    types: HashMap<String, ComplexType>,
    elements: HashMap<String, String>,
    substitutes: HashMap<String, Vec<String>>,
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn is_xs(node: roxmltree::Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(XS) && node.tag_name().name() == name
}

impl Schema {
    fn load(dir: &Path) -> Self {
        let mut schema = Self::default();
        for file in FILES {
            let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|error| panic!("{file}: {error}"));
            let document = roxmltree::Document::parse(&text).unwrap_or_else(|error| panic!("{file}: {error}"));
            for node in document.root_element().children() {
                let Some(name) = node.attribute("name") else { continue };
                if is_xs(node, "complexType") {
                    schema.collect(node, name.to_owned());
                } else if is_xs(node, "element") {
                    if let Some(kind) = node.attribute("type") {
                        schema.elements.insert(name.to_owned(), local(kind).to_owned());
                    }
                    if let Some(head) = node.attribute("substitutionGroup") {
                        schema.substitutes.entry(local(head).to_owned()).or_default().push(name.to_owned());
                    }
                }
            }
        }
        schema
    }

    fn collect(&mut self, node: roxmltree::Node<'_, '_>, name: String) {
        let mut complex = ComplexType::default();
        self.walk(node, &name, &mut complex);
        self.types.insert(name, complex);
    }

    fn walk(&mut self, node: roxmltree::Node<'_, '_>, type_name: &str, complex: &mut ComplexType) {
        for child in node.children().filter(|child| child.is_element() && !is_xs(*child, "annotation")) {
            if is_xs(child, "element") {
                if let Some(reference) = child.attribute("ref") {
                    complex.refs.push(local(reference).to_owned());
                } else if let Some(name) = child.attribute("name") {
                    let kind = match child.attribute("type") {
                        Some(kind) => local(kind).to_owned(),
                        None => {
                            let inline = format!("{type_name}/{name}");
                            if let Some(anonymous) =
                                child.children().find(|grandchild| is_xs(*grandchild, "complexType"))
                            {
                                self.collect(anonymous, inline.clone());
                            }
                            inline
                        }
                    };
                    complex.members.insert(name.to_owned(), Member::Element(kind));
                }
            } else if is_xs(child, "attribute") {
                if let Some(name) = child.attribute("name") {
                    complex.members.insert(name.to_owned(), Member::Scalar);
                }
            } else if is_xs(child, "simpleContent") {
                complex.members.insert("value".to_owned(), Member::Scalar);
                self.walk(child, type_name, complex);
            } else if is_xs(child, "extension") || is_xs(child, "restriction") {
                if let Some(base) = child.attribute("base").filter(|base| !base.starts_with("xs:")) {
                    complex.base = Some(local(base).to_owned());
                }
                self.walk(child, type_name, complex);
            } else {
                self.walk(child, type_name, complex);
            }
        }
    }

    /// Every key a complex type allows, its bases' included; `None` for a simple type.
    fn members(&self, type_name: &str) -> Option<HashMap<String, Member>> {
        let complex = self.types.get(type_name)?;
        let mut members = match &complex.base {
            Some(base) => self.members(base).unwrap_or_default(),
            None => HashMap::new(),
        };
        members.extend(complex.members.clone());
        for head in &complex.refs {
            let mut names = vec![head.clone()];
            names.extend(self.substitutes.get(head).cloned().unwrap_or_default());
            for name in names {
                if let Some(kind) = self.elements.get(&name) {
                    members.insert(name, Member::Element(kind.clone()));
                }
            }
        }
        Some(members)
    }

    /// Records every key of `value` that `type_name` does not declare.
    fn check(
        &self,
        type_name: &str,
        value: &Value,
        path: &str,
        seen: &mut BTreeSet<String>,
        problems: &mut Vec<String>,
    ) {
        let Some(members) = self.members(type_name) else {
            if value.is_object() || value.is_array() {
                problems.push(format!("{path}: {type_name} is a simple type, got {value}"));
            }
            return;
        };
        let Value::Object(object) = value else {
            problems.push(format!("{path}: {type_name} is a complex type, got the scalar {value}"));
            return;
        };
        for (key, child) in object {
            let child_path = format!("{path}.{key}");
            seen.insert(format!("{type_name}.{key}"));
            match members.get(key) {
                None => problems.push(format!("{child_path}: `{key}` is not declared by {type_name}")),
                Some(Member::Scalar) if child.is_object() || child.is_array() => {
                    problems.push(format!("{child_path}: an attribute of {type_name} must be a scalar"));
                }
                Some(Member::Scalar) => {}
                Some(Member::Element(kind)) => match child {
                    Value::Array(items) => {
                        for (index, item) in items.iter().enumerate() {
                            self.check(kind, item, &format!("{child_path}[{index}]"), seen, problems);
                        }
                    }
                    other => self.check(kind, other, &child_path, seen, problems),
                },
            }
        }
    }
}

/// The XSDs, or `None` (with a note) when they are absent outside CI.
fn schema() -> Option<Schema> {
    let dir = Path::new(SPEC_DIR);
    if !dir.join("Finance.xsd").is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the QuickBooks XSDs must be at {SPEC_DIR} in CI (shared/specs is laid beside the repository)"
        );
        eprintln!("note: skipping the QBO schema check: no XSDs at {SPEC_DIR}");
        return None;
    }
    Some(Schema::load(dir))
}

#[tokio::test]
async fn every_key_the_emulator_emits_is_declared_by_the_qbo_xsds() {
    let Some(schema) = schema() else { return };
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let customer = company
        .save(
            "customer",
            &json!({
                "DisplayName": "Schema Cuts LLC", "GivenName": "Ana", "FamilyName": "Ruiz", "CompanyName": "Schema Cuts LLC",
                "PrimaryEmailAddr": {"Address": "ana@schemacuts.example"}, "PrimaryPhone": {"FreeFormNumber": "(512) 555-0100"},
                "BillAddr": {"Line1": "2 Elm St", "Line2": "Suite 4", "City": "Austin", "CountrySubDivisionCode": "TX", "PostalCode": "78702", "Country": "USA"},
                "Notes": "franchisee fr_123",
            }),
        )
        .await;
    let item = company
        .save("item", &json!({"Name": "Royalty", "Description": "6% of gross", "Sku": "ROY", "UnitPrice": 0, "Type": "Service", "IncomeAccountRef": {"value": "79", "name": "Royalty Income"}}))
        .await;
    let invoice = company
        .save(
            "invoice",
            &json!({
                "CustomerRef": {"value": id(&customer)}, "DocNumber": "ROY-1", "TxnDate": "2026-10-31", "DueDate": "2026-11-15",
                "PrivateNote": "statement rs_1", "CustomerMemo": {"value": "Thank you"}, "BillEmail": {"Address": "ap@schemacuts.example"},
                "Line": [{"Amount": 120.0, "Description": "October royalty", "DetailType": "SalesItemLineDetail",
                          "SalesItemLineDetail": {"ItemRef": {"value": id(&item)}, "Qty": 2, "UnitPrice": 60, "ServiceDate": "2026-10-31"}}],
            }),
        )
        .await;
    company
        .save("payment", &json!({"CustomerRef": {"value": id(&customer)}, "TotalAmt": 20.0, "PaymentRefNum": "ACH-1", "PrivateNote": "part",
            "Line": [{"Amount": 20.0, "LinkedTxn": [{"TxnId": id(&invoice), "TxnType": "Invoice"}]}]}))
        .await;
    harness.state().quickbooks().mark_invoice_paid(REALM, &id(&invoice)).expect("an open invoice");
    let doomed = company.invoice(&id(&customer), &id(&item), 5.0).await;
    let deleted =
        company.post_with("invoice", &[("operation", "delete")], &json!({"Id": id(&doomed), "SyncToken": "0"})).await;

    let since = (Utc::now() - Duration::minutes(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut responses = vec![
        deleted.body,
        company.get(&format!("/customer/{}", id(&customer))).await.body,
        company.get(&format!("/item/{}", id(&item))).await.body,
        company.get(&format!("/invoice/{}", id(&invoice))).await.body,
        company.select("select * from Payment").await,
        company.select("select count(*) from Invoice").await,
        company.post("customer", &json!({"DisplayName": "Schema Cuts LLC"})).await.body,
        company.query("select * from").await.body,
        company.post("invoice", &json!({"Line": []})).await.body,
        company.get(&format!("/cdc?entities=Customer,Item,Invoice,Payment&changedSince={since}")).await.body,
    ];
    // Query answers are checked inside the envelope.
    for index in [4, 5] {
        responses[index] = json!({"QueryResponse": responses[index], "time": "2026-11-24T10:00:00.000+00:00"});
    }
    harness.state().quickbooks().force_throttle(REALM, 1);
    responses.push(company.get("/invoice/1").await.body);
    responses
        .push(harness.http.get(company.url("/invoice/1")).send().await.expect("answers").json().await.expect("json"));

    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for (index, response) in responses.iter().enumerate() {
        assert!(response.is_object(), "response {index} is JSON: {response}");
        schema.check("IntuitResponse", response, &format!("response[{index}]"), &mut seen, &mut problems);
    }
    assert!(problems.is_empty(), "keys the XSDs do not declare:\n{}", problems.join("\n"));
    for expected in [
        "Customer.BillAddr",
        "PhysicalAddress.CountrySubDivisionCode",
        "EmailAddress.Address",
        "Item.IncomeAccountRef",
        "Invoice.Line",
        "Line.SalesItemLineDetail",
        "SalesItemLineDetail.ItemRef",
        "ReferenceType.value",
        "ReferenceType.name",
        "Invoice.LinkedTxn",
        "LinkedTxn.TxnType",
        "Payment.Line",
        "Line.LinkedTxn",
        "ModificationMetaData.LastUpdatedTime",
        "MemoRef.value",
        "Fault.Error",
        "Error.code",
        "Error.element",
        "QueryResponse.totalCount",
        "CDCResponse.QueryResponse",
        "QueryResponse.Invoice",
        "IntuitResponse.time",
    ] {
        assert!(seen.contains(expected), "the check never reached {expected}: {seen:?}");
    }
}
