//! Every inbound scheme, as a provider would deliver it: valid, tampered body, wrong secret,
//! stale timestamp (where the scheme signs one), missing header, and secret rotation — with
//! signatures computed independently here, and the providers' own published examples.

mod support;

mod clover;
mod google_calendar;
mod hubspot;
mod meta;
mod providers;
mod quickbooks;
mod sendgrid;
mod square;
mod standard_webhooks;
mod stripe;
mod toast;
mod twilio;
