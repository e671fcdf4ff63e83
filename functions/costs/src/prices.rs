//! The price table: every billable item with its unit, price, currency, VAT, source and
//! the date it was read. The default table ships with the project
//! (`functions/costs/prices/default.json`); an operator replaces it and sets currency
//! rates, a tenant overrides single items.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The items the cost model prices (a table must have them all).
pub const ITEMS: [&str; 14] = [
    "telephony.inbound.minute",
    "telephony.outbound.minute",
    "asr.unit",
    "tts.v1.character",
    "tts.v3.request",
    "llm.input.1k_tokens",
    "llm.output.1k_tokens",
    "embeddings.1k_tokens",
    "compute.invocation",
    "compute.gb_hour",
    "compute.vcpu_hour",
    "gateway.request",
    "storage.put",
    "storage.get",
];

/// The table shipped with the project.
pub const DEFAULT_TABLE: &str = include_str!("../prices/default.json");

/// Why a price table cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceError {
    /// The document does not parse.
    #[error("the price table is not valid: {0}")]
    Invalid(String),
    /// An item the cost model needs is missing.
    #[error("the price table has no item {0:?}")]
    MissingItem(String),
    /// An item is priced in a currency without a rate.
    #[error("item {item:?} is priced in {currency}, and the table has no rate for it")]
    NoRate {
        /// The item.
        item: String,
        /// Its currency.
        currency: String,
    },
    /// A price or rate is negative or not a number.
    #[error("item {0:?} has a price that is negative or not a number")]
    BadPrice(String),
}

/// Whether a price includes VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vat {
    /// The price includes VAT (at the item's `vat_rate`, or the table's).
    Included,
    /// The price is net.
    Excluded,
}

/// One billable item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable id the cost model refers to (`asr.unit`, `compute.gb_hour`, …).
    pub id: String,
    /// What it is, for people.
    #[serde(default)]
    pub what: String,
    /// The unit the price is for.
    pub unit: String,
    /// The price of one unit.
    pub price: f64,
    /// ISO 4217 code of the price.
    pub currency: String,
    /// Whether the price includes VAT.
    pub vat: Vat,
    /// The VAT rate a VAT-including price was published with, if not the table's
    /// (prices read before 2026 include 20 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<f64>,
    /// Where the price was read.
    #[serde(default)]
    pub source: String,
    /// When it was read (YYYY-MM-DD).
    #[serde(default)]
    pub read_on: String,
    /// Whether the price was confirmed from the provider's page (false: a placeholder
    /// to replace with the account's own price).
    #[serde(default)]
    pub confirmed: bool,
    /// Anything worth knowing.
    #[serde(default)]
    pub note: String,
}

/// A currency rate: how many units of the table's currency one unit costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Rubles per unit.
    pub rub: f64,
    /// Whether the rate is the day's official one.
    #[serde(default)]
    pub confirmed: bool,
    /// Where it comes from.
    #[serde(default)]
    pub note: String,
}

/// A price table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// Document version (1).
    pub v: u32,
    /// The table's name, recorded with every cost priced with it.
    pub name: String,
    /// When the table was put together.
    #[serde(default)]
    pub read_on: String,
    /// The currency costs are computed in (`RUB`).
    pub currency: String,
    /// The VAT rate added to net prices (0.22 from 2026).
    pub vat_rate: f64,
    /// Rates of the other currencies items are priced in.
    #[serde(default)]
    pub rates: BTreeMap<String, Rate>,
    /// The items.
    pub items: Vec<Item>,
}

/// A tenant's (or a what-if's) replacement for some items' prices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Item id → its new price, in the item's own currency and VAT basis.
    #[serde(default)]
    pub prices: BTreeMap<String, f64>,
    /// Currency → rubles per unit.
    #[serde(default)]
    pub rates: BTreeMap<String, f64>,
}

/// A resolved unit price: rubles per unit, VAT included, and whether it is confirmed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitPrice {
    /// Rubles per unit, VAT included at the table's rate.
    pub rub: f64,
    /// Whether the price (and its rate) were confirmed.
    pub confirmed: bool,
}

impl PriceTable {
    /// The table shipped with the project.
    pub fn default_table() -> PriceTable {
        // The shipped table is checked by a test; it always parses.
        PriceTable::parse(DEFAULT_TABLE).unwrap_or_else(|e| panic!("prices/default.json: {e}"))
    }

    /// Parses and checks a table.
    pub fn parse(json: &str) -> Result<PriceTable, PriceError> {
        let table: PriceTable =
            serde_json::from_str(json).map_err(|e| PriceError::Invalid(e.to_string()))?;
        table.check()?;
        Ok(table)
    }

    /// Checks prices, rates and that every item's currency has a rate.
    pub fn check(&self) -> Result<(), PriceError> {
        let vat_ok = |r: f64| r.is_finite() && (0.0..1.0).contains(&r);
        if !vat_ok(self.vat_rate) {
            return Err(PriceError::BadPrice("vat_rate".into()));
        }
        for (currency, rate) in &self.rates {
            if !(rate.rub.is_finite() && rate.rub > 0.0) {
                return Err(PriceError::BadPrice(format!("rate {currency}")));
            }
        }
        for item in &self.items {
            let item_vat_ok = item.vat_rate.is_none_or(vat_ok);
            if !(item.price.is_finite() && item.price >= 0.0 && item_vat_ok) {
                return Err(PriceError::BadPrice(item.id.clone()));
            }
            self.rate(&item.id, &item.currency)?;
        }
        for id in ITEMS {
            self.item(id)?;
        }
        Ok(())
    }

    /// This table with `overrides` applied (unknown item ids are refused).
    pub fn with_overrides(&self, overrides: &Overrides) -> Result<PriceTable, PriceError> {
        let mut table = self.clone();
        for (id, price) in &overrides.prices {
            let item = table
                .items
                .iter_mut()
                .find(|i| &i.id == id)
                .ok_or_else(|| PriceError::MissingItem(id.clone()))?;
            // An override is today's price: a VAT-including one includes today's rate.
            item.price = *price;
            item.vat_rate = None;
            item.confirmed = true;
            item.note = "overridden".into();
        }
        for (currency, rub) in &overrides.rates {
            table.rates.insert(
                currency.clone(),
                Rate {
                    rub: *rub,
                    confirmed: true,
                    note: "overridden".into(),
                },
            );
        }
        if !overrides.prices.is_empty() || !overrides.rates.is_empty() {
            table.name = format!("{}+overrides", table.name);
        }
        table.check()?;
        Ok(table)
    }

    /// The item `id`.
    pub fn item(&self, id: &str) -> Result<&Item, PriceError> {
        self.items
            .iter()
            .find(|i| i.id == id)
            .ok_or_else(|| PriceError::MissingItem(id.to_owned()))
    }

    fn rate(&self, item: &str, currency: &str) -> Result<(f64, bool), PriceError> {
        if currency == self.currency {
            return Ok((1.0, true));
        }
        let rate = self.rates.get(currency).ok_or_else(|| PriceError::NoRate {
            item: item.to_owned(),
            currency: currency.to_owned(),
        })?;
        if !(rate.rub.is_finite() && rate.rub > 0.0) {
            return Err(PriceError::BadPrice(format!("rate {currency}")));
        }
        Ok((rate.rub, rate.confirmed))
    }

    /// The item that prices `direction` (`input` or `output`) tokens of `model`:
    /// `llm.model.{name/version}.{direction}.1k_tokens`, else
    /// `llm.model.{name}.{direction}.1k_tokens`, else the generic
    /// `llm.{direction}.1k_tokens`. A Yandex model URI is named by its path after the
    /// folder (`gpt://b1g…/yandexgpt/rc` → `yandexgpt/rc`, then `yandexgpt`); other
    /// names are lower-cased (`GigaChat-Pro` → `gigachat-pro`).
    pub fn model_item(&self, model: &str, direction: &str) -> String {
        let name = model_name(model);
        let family = name.split('/').next().unwrap_or_default();
        [name.as_str(), family]
            .into_iter()
            .filter(|n| !n.is_empty())
            .map(|n| format!("llm.model.{n}.{direction}.1k_tokens"))
            .find(|id| self.item(id).is_ok())
            .unwrap_or_else(|| format!("llm.{direction}.1k_tokens"))
    }

    /// The price of one unit of `id` in the table's currency, VAT included at the
    /// table's rate (a VAT-including price is first brought to net at the rate it was
    /// published with).
    pub fn unit_price(&self, id: &str) -> Result<UnitPrice, PriceError> {
        let item = self.item(id)?;
        let (rate, rate_confirmed) = self.rate(&item.id, &item.currency)?;
        let net = match item.vat {
            Vat::Excluded => item.price,
            Vat::Included => item.price / (1.0 + item.vat_rate.unwrap_or(self.vat_rate)),
        };
        Ok(UnitPrice {
            rub: net * rate * (1.0 + self.vat_rate),
            confirmed: item.confirmed && rate_confirmed,
        })
    }

    /// `name@read_on`, recorded with every cost.
    pub fn label(&self) -> String {
        format!("{}@{}", self.name, self.read_on)
    }
}

/// A model's name for the price table: a Yandex model URI's path after the folder,
/// lower-cased.
fn model_name(model: &str) -> String {
    let model = model.trim().to_lowercase();
    match model.strip_prefix("gpt://") {
        Some(rest) => rest
            .split_once('/')
            .map_or(String::new(), |(_, path)| path.to_owned()),
        None => model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_is_complete_and_sourced() {
        let table = PriceTable::default_table();
        for item in &table.items {
            assert!(!item.source.is_empty(), "{} has no source", item.id);
            assert!(!item.read_on.is_empty(), "{} has no date", item.id);
            if !item.confirmed {
                assert!(
                    !item.note.is_empty(),
                    "{} says not why it is unconfirmed",
                    item.id
                );
            }
        }
    }

    #[test]
    fn vat_and_rates_are_applied_once() {
        let table = PriceTable::default_table();
        // Net USD: × rate × 1.22.
        let tts = table.unit_price("tts.v3.request").unwrap();
        assert!((tts.rub - 0.0013327867 * 80.0 * 1.22).abs() < 1e-12);
        assert!(!tts.confirmed, "the USD rate is a placeholder");
        // RUB with 20 % VAT inside: brought to net, then 22 % added.
        let llm = table.unit_price("llm.input.1k_tokens").unwrap();
        assert!((llm.rub - 0.2 / 1.2 * 1.22).abs() < 1e-12);
        assert!(llm.confirmed);
    }

    #[test]
    fn overrides_replace_prices_and_rates() {
        let table = PriceTable::default_table();
        let overrides = Overrides {
            prices: [("telephony.inbound.minute".to_owned(), 1.5)].into(),
            rates: [("USD".to_owned(), 100.0)].into(),
        };
        let mine = table.with_overrides(&overrides).unwrap();
        let minute = mine.unit_price("telephony.inbound.minute").unwrap();
        assert!((minute.rub - 1.5).abs() < 1e-12);
        // An overridden VAT-including price includes today's VAT, not the old 20 %.
        let asr = table
            .with_overrides(&Overrides {
                prices: [("asr.unit".to_owned(), 0.2)].into(),
                ..Overrides::default()
            })
            .unwrap();
        assert!((asr.unit_price("asr.unit").unwrap().rub - 0.2).abs() < 1e-12);
        assert!(minute.confirmed);
        let tts = mine.unit_price("tts.v3.request").unwrap();
        assert!((tts.rub - 0.0013327867 * 100.0 * 1.22).abs() < 1e-12);
        let unknown = Overrides {
            prices: [("nope".to_owned(), 1.0)].into(),
            ..Overrides::default()
        };
        assert_eq!(
            table.with_overrides(&unknown),
            Err(PriceError::MissingItem("nope".into()))
        );
        let negative = Overrides {
            prices: [("asr.unit".to_owned(), -1.0)].into(),
            ..Overrides::default()
        };
        assert!(table.with_overrides(&negative).is_err());
        let mut broken = table.clone();
        broken.vat_rate = -1.0;
        assert!(broken.check().is_err());
        broken.vat_rate = 0.22;
        broken.items[0].vat_rate = Some(f64::NAN);
        assert!(broken.check().is_err());
    }
}
