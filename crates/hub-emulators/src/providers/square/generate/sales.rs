//! A shop's sales, one day at a time: completed orders closed during opening hours, each with
//! services and products, an occasional order-level discount, sales tax on products, a tip on
//! most card payments and an occasional booking fee; one payment per order; ~1.5 % refunded
//! (some partially); and the appointments the sales came from.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};

use super::super::catalog::{
    CARD_BRAND_WEIGHTS, DISCOUNTS, ENTRY_METHOD_WEIGHTS, ITEMS, REFUND_REASONS, SERVICE_CHARGES, products, services,
};
use super::super::currency::{Currency, apply_rate};
use super::super::ids::{IdKind, Rng};
use super::super::model::{Booking, Customer, Line, Location, Millis, Order, Payment, Refund, Tender, Timecard};
use super::labor::Shift;
use super::{Context, DAY, HOUR, MINUTE, bookings, local_instant, weekday};

/// Positions and weights of the services and products, for weighted choices.
pub(in crate::providers::square) struct Menu {
    services: Vec<usize>,
    service_weights: Vec<u32>,
    products: Vec<usize>,
    product_weights: Vec<u32>,
}

impl Menu {
    pub fn new() -> Self {
        let services: Vec<usize> = services().collect();
        let products: Vec<usize> = products().collect();
        Self {
            service_weights: services.iter().map(|&item| ITEMS[item].weight).collect(),
            product_weights: products.iter().map(|&item| ITEMS[item].weight).collect(),
            services,
            products,
        }
    }

    pub fn service(&self, rng: &mut Rng) -> usize {
        self.services[rng.weighted(&self.service_weights)]
    }

    fn product(&self, rng: &mut Rng) -> usize {
        self.products[rng.weighted(&self.product_weights)]
    }
}

/// Everything generated so far.
pub(in crate::providers::square) struct History {
    pub menu: Menu,
    pub orders: Vec<Order>,
    pub payments: Vec<Payment>,
    pub refunds: Vec<Refund>,
    pub timecards: Vec<Timecard>,
    pub bookings: Vec<Booking>,
}

impl Default for History {
    fn default() -> Self {
        Self {
            menu: Menu::new(),
            orders: Vec::new(),
            payments: Vec::new(),
            refunds: Vec::new(),
            timecards: Vec::new(),
            bookings: Vec::new(),
        }
    }
}

/// One day of sales at one shop (nothing on closed days).
pub(super) fn day(
    context: &Context<'_>,
    history: &mut History,
    location: &Location,
    number: u16,
    shifts: &[Shift],
    customers: &[Customer],
    date: NaiveDate,
) {
    let Some(hours) = location.hours[weekday(date)] else { return };
    if shifts.is_empty() {
        return;
    }
    let mut rng = context.rng("sales").fork("location", u64::from(number)).fork("day", date.num_days_from_ce() as u64);
    let (low, high) = context.config.orders_per_day;
    let saturday = weekday(date) == 5;
    let count = if saturday {
        rng.between(i64::from(low + high) / 2, i64::from(high))
    } else {
        rng.between(i64::from(low), i64::from(high))
    };
    let open = local_instant(location.timezone, date, u32::from(hours.open));
    let close = local_instant(location.timezone, date, u32::from(hours.close));
    let first = (open + 20 * MINUTE).min(close - MINUTE);
    let mut closings: Vec<Millis> = (0..count).map(|_| rng.between(first, close - 1_000)).collect();
    closings.sort_unstable();
    let history_end = local_instant(location.timezone, context.config.end_date + chrono::Days::new(1), 0);
    let sale_day = SaleDay { context, location, number, shifts, customers, history_end, tuesday: weekday(date) == 1 };
    for closed_at in closings {
        sale_day.sale(history, &mut rng, closed_at);
        if rng.chance_per_mille(60) {
            bookings::missed(context, history, number, shifts, customers, (open, close), &mut rng);
        }
    }
}

/// What every sale of one day shares.
struct SaleDay<'a> {
    context: &'a Context<'a>,
    location: &'a Location,
    number: u16,
    shifts: &'a [Shift],
    customers: &'a [Customer],
    history_end: Millis,
    tuesday: bool,
}

impl SaleDay<'_> {
    fn sale(&self, history: &mut History, rng: &mut Rng, closed_at: Millis) {
        let location = self.location;
        let on_shift: Vec<u32> = self
            .shifts
            .iter()
            .filter(|shift| shift.start <= closed_at && closed_at <= shift.end)
            .map(|s| s.member)
            .collect();
        let all: Vec<u32> = self.shifts.iter().map(|shift| shift.member).collect();
        let team_member = rng.pick(if on_shift.is_empty() { &all } else { &on_shift }).copied().unwrap_or_default();
        let known = self.customers.partition_point(|customer| customer.created_at <= closed_at - HOUR);
        let customer = (known > 0 && rng.chance_per_mille(720)).then(|| rng.below(known as u64) as u32);

        let basket = basket(&history.menu, rng, location, self.tuesday);
        let booked = customer.is_some() && basket.service_minutes > 0 && rng.chance_per_mille(450);
        let service_charge =
            (booked && rng.chance_per_mille(100)).then(|| (0u8, location.currency.price(SERVICE_CHARGES[0].1)));
        let card = rng.chance_per_mille(800);
        let tip = tip(rng, location, &basket.lines, card);
        let service_minutes = basket.service_minutes;
        let position = history.orders.len() as u64;
        let mut order = Order {
            id: self.context.minter.id(IdKind::Order, position),
            location: self.number,
            customer,
            team_member,
            created_at: closed_at - rng.between(20_000, 240_000),
            closed_at,
            updated_at: closed_at + rng.between(0, 900),
            version: 1,
            lines: basket.lines,
            discount: basket.discount,
            service_charge,
            tip,
            refunds: Vec::new(),
        };
        let total = order.total();
        let mut payment = Payment {
            id: self.context.minter.id(IdKind::Payment, position),
            created_at: closed_at - rng.between(2_000, 15_000),
            updated_at: closed_at,
            tender: tender(rng, card, location.currency, total, closed_at),
            fee: if card { card_fee(location, total) } else { 0 },
            refunded: 0,
            refunds: Vec::new(),
            version: 1,
        };
        if booked && let Some(customer) = customer {
            let minutes = i64::from(service_minutes);
            let service = order.lines.iter().find(|line| !ITEMS[usize::from(line.item)].product).map_or(0, |l| l.item);
            let visit = bookings::Visit { customer, team_member, service, start: order.created_at - minutes * MINUTE };
            bookings::kept(self.context, history, self.number, self.customers, visit, rng);
        }
        if rng.chance_per_mille(15) {
            self.refund(history, rng, &mut order, &mut payment, position as u32);
        }
        history.orders.push(order);
        history.payments.push(payment);
    }

    /// Refunds all or part of a sale some time after it, if that time is still in the history.
    fn refund(&self, history: &mut History, rng: &mut Rng, order: &mut Order, payment: &mut Payment, position: u32) {
        let created_at = order.closed_at + rng.between(30 * MINUTE, 7 * DAY);
        if created_at >= self.history_end {
            return;
        }
        let total = order.total();
        let step = self.location.currency.tip_step();
        let amount = if total <= 2 * step || rng.chance_per_mille(700) {
            total
        } else {
            round_to(total * rng.between(20, 60) / 100, step).clamp(step, total - 1)
        };
        let refund_position = history.refunds.len() as u32;
        let refund = Refund {
            id: format!("{}_{}", payment.id, self.context.minter.id(IdKind::Refund, u64::from(refund_position))),
            payment: position,
            amount,
            fee_returned: if payment.fee > 0 { (payment.fee * amount + total / 2) / total } else { 0 },
            reason: Cow::Borrowed(REFUND_REASONS[rng.below(REFUND_REASONS.len() as u64) as usize]),
            created_at,
            updated_at: created_at + rng.between(1_000, 30_000),
        };
        payment.refunded += amount;
        payment.refunds.push(refund_position);
        payment.updated_at = refund.updated_at;
        payment.version += 1;
        order.refunds.push(refund_position);
        order.updated_at = refund.updated_at;
        order.version += 1;
        history.refunds.push(refund);
    }
}

/// What one sale contains, before it is filed.
pub(in crate::providers::square) struct Basket {
    pub lines: Box<[Line]>,
    pub discount: Option<u8>,
    /// How long the services take.
    pub service_minutes: u16,
}

/// Picks what a customer buys: usually a service or two, sometimes products, rarely products
/// alone; one sale in ten gets an order-level percentage discount (applied to every line) and
/// products carry the location's additive sales tax.
pub(in crate::providers::square) fn basket(menu: &Menu, rng: &mut Rng, location: &Location, tuesday: bool) -> Basket {
    let mut items: Vec<(usize, u16)> = Vec::with_capacity(3);
    let mut add = |item: usize, quantity: u16| match items.iter_mut().find(|(known, _)| *known == item) {
        Some((_, count)) => *count += quantity,
        None => items.push((item, quantity)),
    };
    let products_only = rng.chance_per_mille(30);
    if !products_only {
        add(menu.service(rng), 1);
        if rng.chance_per_mille(50) {
            add(menu.service(rng), 1);
        }
    }
    let product_count = u16::from(products_only || rng.chance_per_mille(240)) + u16::from(rng.chance_per_mille(60));
    for _ in 0..product_count {
        add(menu.product(rng), if rng.chance_per_mille(100) { 2 } else { 1 });
    }
    let discount = rng.chance_per_mille(100).then(|| {
        // "Senior Tuesday" (the last one) only on Tuesdays.
        let choices = if tuesday { DISCOUNTS.len() } else { DISCOUNTS.len() - 1 };
        rng.below(choices as u64) as u8
    });
    let rate = discount.map(|index| DISCOUNTS[usize::from(index)].1);
    let lines = items
        .iter()
        .map(|&(item, quantity)| {
            let base_price = location.prices[item];
            let gross = base_price * i64::from(quantity);
            let discount = rate.map_or(0, |rate| apply_rate(gross, rate));
            let tax = if ITEMS[item].product { apply_rate(gross - discount, location.tax_rate) } else { 0 };
            Line { item: item as u16, quantity, base_price, gross, discount, tax }
        })
        .collect();
    let service_minutes = items.iter().map(|&(item, _)| ITEMS[item].minutes).sum();
    Basket { lines, discount, service_minutes }
}

/// Most card payments for services carry a 15–25 % tip (on the discounted service price),
/// rounded to a whole unit; cash tips are not recorded.
pub(in crate::providers::square) fn tip(rng: &mut Rng, location: &Location, lines: &[Line], card: bool) -> i64 {
    let services: i64 =
        lines.iter().filter(|line| !ITEMS[usize::from(line.item)].product).map(|line| line.gross - line.discount).sum();
    if !card || services == 0 || !rng.chance_per_mille(780) {
        return 0;
    }
    let percent = [15, 18, 20, 25][rng.weighted(&[30, 30, 30, 10])];
    round_to(services * percent / 100, location.currency.tip_step())
}

/// Square's processing fee on a card payment of `total`.
pub(in crate::providers::square) fn card_fee(location: &Location, total: i64) -> i64 {
    let (rate, fixed) = location.currency.card_fee();
    apply_rate(total, rate) + fixed
}

/// How a sale is paid: a card, or cash with change from the next banknote up.
pub(in crate::providers::square) fn tender(
    rng: &mut Rng,
    card: bool,
    currency: Currency,
    total: i64,
    at: Millis,
) -> Tender {
    if card { card_tender(rng, at) } else { cash_tender(rng, currency, total) }
}

/// `amount` rounded half up to a multiple of `step`, at least one step.
fn round_to(amount: i64, step: i64) -> i64 {
    (((amount + step / 2) / step) * step).max(step)
}

fn card_tender(rng: &mut Rng, at: Millis) -> Tender {
    let year = chrono::DateTime::from_timestamp_millis(at).map_or(2025, |instant| instant.year());
    Tender::Card {
        brand: rng.weighted(&CARD_BRAND_WEIGHTS) as u8,
        last_4: rng.below(10_000) as u16,
        exp_month: 1 + rng.below(12) as u8,
        exp_year: (year + 1 + rng.below(5) as i32) as u16,
        debit: rng.chance_per_mille(400),
        entry_method: rng.weighted(&ENTRY_METHOD_WEIGHTS) as u8,
        fingerprint: rng.next_u64(),
        auth_code: rng.below(1_000_000) as u32,
    }
}

/// Cash: exact change sometimes, otherwise the next banknote up.
fn cash_tender(rng: &mut Rng, currency: Currency, amount: i64) -> Tender {
    let notes: [i64; 3] = if currency == Currency::Jpy { [1_000, 5_000, 10_000] } else { [500, 1_000, 2_000] };
    let buyer_supplied = if rng.chance_per_mille(250) {
        amount
    } else {
        let note = notes[rng.below(3) as usize];
        amount.div_euclid(note) * note + if amount % note == 0 { 0 } else { note }
    };
    Tender::Cash { buyer_supplied }
}
