//! `zkvm offer …` and `zkvm market book`: public offers with partial
//! fills (docs/spec/contracts.md §Offers) made, taken and cancelled by the
//! wallet, and the order book from the node's index (`GET /v1/offers`).

use clap::Subcommand;
use contracts::offer::{self, OfferTerms, Take};
use curve25519_dalek::scalar::Scalar;
use node::Client;
use serde_json::{json, Value as Json};
use wallet::{Amount, CustomOutput, External, HistoryKind, Wallet};
use zkvm::{Contract, ContractID};

use crate::wallet_cmd::{self, asset_name, parse_asset, submit, synced, TxArgs, WalletArgs};
use crate::{Error, Output};

/// The `offer` subcommands.
#[derive(Debug, Subcommand)]
pub enum OfferCommand {
    /// Offer `--give QTY ASSET` for `--want QTY ASSET`: takers may take
    /// all or part at that price until it expires or is cancelled.
    New {
        /// What to sell: a quantity and an asset (`native`, an asset this
        /// wallet issued, or a flavor in hex).
        #[arg(long, num_args = 2, value_names = ["QTY", "ASSET"])]
        give: Vec<String>,
        /// The price for all of it: a quantity and an asset.
        #[arg(long, num_args = 2, value_names = ["QTY", "ASSET"])]
        want: Vec<String>,
        /// Seconds until it expires (default a day).
        #[arg(long, default_value_t = 86_400)]
        expires_in: u64,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// This wallet's open offers.
    List,
    /// Take an offer back (the key path).
    Cancel {
        /// The offer's contract ID (or 8+ hex digits of it).
        id: String,
        #[command(flatten)]
        tx: TxArgs,
    },
    /// Take `--qty` of an offer (all of it by default), paying its price
    /// rounded up; the rest stays on offer.
    Take {
        /// The offer's contract ID (64 hex digits, as `market book` lists).
        id: String,
        /// How much to take (default: all).
        #[arg(long)]
        qty: Option<u64>,
        /// Refuse to pay more than this (default: the offer's price).
        #[arg(long)]
        max_pay: Option<u64>,
        #[command(flatten)]
        tx: TxArgs,
    },
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn qty_and_asset(w: &Wallet, pair: &[String], flag: &str) -> Result<(u64, Scalar), Error> {
    let [qty, asset] = pair else {
        return Err(Error::Usage(format!(
            "--{flag} takes a quantity and an asset"
        )));
    };
    let qty: u64 = qty
        .parse()
        .map_err(|_| Error::Usage(format!("--{flag}: {qty:?} is not a quantity")))?;
    Ok((qty, parse_asset(w, asset)?))
}

fn contracts_error(e: contracts::ContractsError) -> Error {
    Error::Usage(e.to_string())
}

/// Runs an `offer` subcommand.
pub fn run(command: OfferCommand, wallet: &WalletArgs, node: &str) -> Result<Output, Error> {
    let (mut w, client) = synced(Wallet::open(&wallet.wallet)?, node)?;
    let mut rng = rand::thread_rng();
    let json = match command {
        OfferCommand::New {
            give,
            want,
            expires_in,
            tx,
        } => {
            let (give_qty, give_flavor) = qty_and_asset(&w, &give, "give")?;
            let (want_qty, want_flavor) = qty_and_asset(&w, &want, "want")?;
            let mut salt = [0u8; 16];
            rand::RngCore::fill_bytes(&mut rng, &mut salt);
            let terms = OfferTerms {
                give_flavor,
                want_flavor,
                give: give_qty,
                want: want_qty,
                expires_ms: now_ms().saturating_add(expires_in.saturating_mul(1000)),
                salt,
            };
            terms.check().map_err(|e| Error::Usage(e.to_string()))?;
            // A fresh key of the wallet's: the offer's (and its payments')
            // predicate.
            w.new_address()?;
            let key = w.keys().spend_key(w.addresses_issued() - 1);
            let maker = *key.verification_key().as_compressed();
            let custom = CustomOutput {
                amount: Amount {
                    flavor: give_flavor,
                    qty: give_qty,
                },
                program: offer::make_program(&terms, give_qty, &key),
            };
            let fee = wallet_cmd::fee(&client, &tx)?;
            let built = w.make_custom(custom, HistoryKind::OfferMade, fee, &mut rng)?;
            let id = zkvm::Verifier::verify_bytes(&built.tx.to_bytes())
                .ok()
                .and_then(|v| {
                    v.log.outputs().find_map(|c| {
                        (c.predicate.to_point() == maker && c.payload.len() == 3)
                            .then(|| c.id().to_string())
                    })
                });
            let mut out = submit(&mut w, &client, &built, tx.wait)?;
            out["contract_id"] = json!(id);
            out["offer"] = describe(&terms, give_qty);
            out
        }
        OfferCommand::List => {
            let list: Vec<Json> = w
                .offers()
                .filter_map(|u| {
                    let t = u.offer_terms()?;
                    let mut o = describe(&t, u.qty());
                    o["contract_id"] = json!(u.id().to_string());
                    Some(o)
                })
                .collect();
            json!({"height": w.height(), "offers": list})
        }
        OfferCommand::Cancel { id, tx } => {
            let id = own_offer(&w, &id)?;
            let fee = wallet_cmd::fee(&client, &tx)?;
            let built = w.cancel_offer(&id, fee, &mut rng)?;
            let mut out = submit(&mut w, &client, &built, tx.wait)?;
            out["cancelled"] = json!(id.to_string());
            out
        }
        OfferCommand::Take {
            id,
            qty,
            max_pay,
            tx,
        } => {
            let (contract, held) = fetch_offer(&client, &id)?;
            let terms = match contract.payload.get(2) {
                Some(zkvm::PortableItem::String(t)) => OfferTerms::from_bytes(&t.to_bytes())
                    .map_err(|e| Error::Usage(e.to_string()))?,
                _ => return Err(Error::Usage(format!("{id} is not an offer"))),
            };
            let fill = qty.unwrap_or(held);
            let pay = terms
                .price_of(fill)
                .ok_or_else(|| Error::Usage("the price does not fit in 64 bits".into()))?;
            if let Some(max) = max_pay {
                if pay > max {
                    return Err(Error::Usage(format!(
                        "taking {fill} costs {pay} {}, more than --max-pay {max}",
                        asset_name(&terms.want_flavor)
                    )));
                }
            }
            if terms.expires_ms <= now_ms() {
                return Err(Error::Usage(format!("offer {id} has expired")));
            }
            let program =
                offer::take(&contract, held, Take { fill, pay }).map_err(contracts_error)?;
            let external = External {
                program,
                gives: vec![Amount {
                    flavor: terms.give_flavor,
                    qty: fill,
                }],
                owes: vec![Amount {
                    flavor: terms.want_flavor,
                    qty: pay,
                }],
                maxtime_ms: Some(terms.expires_ms),
            };
            let fee = wallet_cmd::fee(&client, &tx)?;
            // The programs check the expiry against maxtime: no later
            // than the offer's.
            let built = w.spend_external(external, HistoryKind::Bought, fee, &mut rng)?;
            let mut out = submit(&mut w, &client, &built, tx.wait)?;
            out["took"] = json!({"qty": fill, "asset": asset_name(&terms.give_flavor)});
            out["paid"] = json!({"qty": pay, "asset": asset_name(&terms.want_flavor)});
            out["remaining"] = json!(held - fill);
            out
        }
    };
    Ok(Output::Json(json))
}

/// An offer as JSON: what it gives, at which price, until when.
fn describe(t: &OfferTerms, qty: u64) -> Json {
    json!({
        "give_asset": asset_name(&t.give_flavor),
        "want_asset": asset_name(&t.want_flavor),
        "qty": qty,
        "price": {"give": t.give, "want": t.want},
        "unit_price": t.unit_price(),
        "expires_ms": t.expires_ms,
    })
}

/// One of the wallet's offers by ID or prefix.
fn own_offer(w: &Wallet, id: &str) -> Result<ContractID, Error> {
    let id = id.to_ascii_lowercase();
    let mut found = w.offers().filter(|u| u.id().to_string().starts_with(&id));
    match (found.next(), found.next(), id.len() >= 8) {
        (Some(u), None, true) => Ok(u.id()),
        (Some(_), Some(_), true) => Err(Error::Usage(format!("several offers start with {id}"))),
        _ => Err(Error::NotFound(format!(
            "this wallet has no open offer {id}"
        ))),
    }
}

/// An offer's output and quantity, from the node: the output as stored,
/// its quantity from the data its transaction logged.
fn fetch_offer(client: &Client, id: &str) -> Result<(Contract, u64), Error> {
    let record = client
        .get(&format!("/v1/contracts/{id}"))?
        .ok_or_else(|| Error::NotFound(format!("no output {id} on the node")))?;
    if record["unspent"] != true {
        return Err(Error::Usage(format!("offer {id} was taken or cancelled")));
    }
    let bytes = record["output"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| Error::Usage("the node's answer has no output".into()))?;
    let contract = Contract::from_bytes(&bytes).map_err(Error::Decode)?;
    let txid = record["created"]["txid"]
        .as_str()
        .ok_or_else(|| Error::Usage(format!("{id} was not created by a transaction")))?;
    let tx = client
        .tx(txid)?
        .ok_or_else(|| Error::NotFound(format!("no transaction {txid}")))?;
    let data: Vec<Vec<u8>> = tx["log"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "data")
        .filter_map(|e| e["hex"].as_str().and_then(|h| hex::decode(h).ok()))
        .collect();
    let Some(zkvm::PortableItem::Value(v)) = contract.payload.first() else {
        return Err(Error::Usage(format!("{id} is not an offer")));
    };
    let qty = wallet::logged_quantity(&v.qty.to_point(), data.iter().map(Vec::as_slice))
        .ok_or_else(|| Error::Usage(format!("{id}: its quantity is not logged")))?;
    Ok((contract, qty))
}

/// `zkvm market book GIVE/WANT`: the node's open offers, best price first.
pub fn book(pair: &str, wallet: &WalletArgs, node: &str) -> Result<Output, Error> {
    let (give, want) = pair
        .split_once('/')
        .ok_or_else(|| Error::Usage("a pair is GIVE/WANT (e.g. GOLD/native)".into()))?;
    let flavor = |asset: &str| -> Result<String, Error> {
        if asset == "native" || asset.len() == 64 {
            return Ok(asset.to_string());
        }
        let w = Wallet::open(&wallet.wallet)?;
        Ok(hex::encode(parse_asset(&w, asset)?.as_bytes()))
    };
    let client = Client::new(node)?;
    let answer = client
        .get(&format!(
            "/v1/offers?pair={}/{}",
            flavor(give)?,
            flavor(want)?
        ))?
        .ok_or_else(|| Error::NotFound("the node has no offers endpoint".into()))?;
    Ok(Output::Json(answer))
}
