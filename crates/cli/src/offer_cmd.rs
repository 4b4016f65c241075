//! `zkvm offer …` and `zkvm market book`: public offers with partial
//! fills (docs/spec/contracts.md §Offers) made, taken and cancelled by the
//! wallet, and the order book from the node's index (`GET /v1/offers`).

use clap::Subcommand;
use contracts::offer::{self, OfferTag, OfferTerms, Take};
use curve25519_dalek::scalar::Scalar;
use node::Client;
use serde_json::{json, Value as Json};
use wallet::{
    Address, Amount, CustomOutput, EncryptedNote, External, HistoryKind, NoteOpening, Wallet,
};
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
        /// A private offer: the book shows its pair, not its price, which
        /// only these addresses (repeatable) read in the maker's notes.
        #[arg(long = "private-to", value_name = "ADDRESS")]
        private_to: Vec<String>,
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
    let flavor = parse_asset(w, asset)?;
    let qty = wallet::parse_units(qty.trim(), wallet_cmd::decimals(w, &flavor))
        .map_err(|e| Error::Usage(format!("--{flag}: {e}")))?;
    Ok((qty, flavor))
}

fn contracts_error(e: contracts::ContractsError) -> Error {
    Error::Usage(e.to_string())
}

/// Runs an `offer` subcommand.
pub fn run(command: OfferCommand, wallet: &WalletArgs, node: &str) -> Result<Output, Error> {
    let (mut w, client) = synced(wallet_cmd::open_at(&wallet.wallet)?, node)?;
    let mut rng = rand::thread_rng();
    let json = match command {
        OfferCommand::New {
            give,
            want,
            expires_in,
            private_to,
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
                private: !private_to.is_empty(),
            };
            terms.check().map_err(|e| Error::Usage(e.to_string()))?;
            // A fresh key of the wallet's: the offer's (and its payments')
            // predicate.
            w.new_address()?;
            let key = w.keys().spend_key(w.addresses_issued() - 1);
            let maker = *key.verification_key().as_compressed();
            let mut program = offer::make_program(&terms, give_qty, &key);
            if terms.private {
                // The price, in a note to each named taker and to the
                // maker (docs/spec/contracts.md §Offers, Private offers).
                let mut to: Vec<Address> = vec![w.address(w.addresses_issued() - 1)];
                for a in &private_to {
                    to.push(
                        a.trim()
                            .parse()
                            .map_err(|e| Error::Usage(format!("bad --private-to address: {e}")))?,
                    );
                }
                for a in &to {
                    let note = price_note(&terms, give_qty, a, &maker, &mut rng)?;
                    program.push(note.to_bytes()).log();
                }
            }
            let custom = CustomOutput {
                amount: Amount {
                    flavor: give_flavor,
                    qty: give_qty,
                },
                program,
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
                    let mut o = describe_tag(&t, u.qty());
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
            let (contract, held, data) = fetch_offer(&client, &id)?;
            let tag = match contract.payload.get(2) {
                Some(zkvm::PortableItem::String(t)) => {
                    OfferTag::from_bytes(&t.to_bytes()).map_err(|e| Error::Usage(e.to_string()))?
                }
                _ => return Err(Error::Usage(format!("{id} is not an offer"))),
            };
            let price = match tag.price {
                Some(p) => p,
                None => read_price(&w, &contract, &data).ok_or_else(|| {
                    Error::Usage(format!(
                        "{id} is a private offer and none of its price notes is for this wallet"
                    ))
                })?,
            };
            let terms = tag
                .with_price(price.0, price.1)
                .map_err(|e| Error::Usage(e.to_string()))?;
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
            let program = offer::take(&contract, held, Take { fill, pay }, Some(price))
                .map_err(contracts_error)?;
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

/// An offer's tag as JSON (a private offer's price hidden).
fn describe_tag(t: &OfferTag, qty: u64) -> Json {
    match t.terms() {
        Some(terms) => describe(&terms, qty),
        None => json!({
            "give_asset": asset_name(&t.give_flavor),
            "want_asset": asset_name(&t.want_flavor),
            "qty": qty,
            "private": true,
            "expires_ms": t.expires_ms,
        }),
    }
}

/// The memo of a private offer's price note: a label, then `LE64 give ||
/// LE64 want`.
const PRICE_MEMO: &[u8] = b"ZkVM.offer.price";

/// A note to `to` telling a private offer's price: an opening of the
/// goods (unblinded) whose memo holds the price, encrypted to `to` for the
/// offer's predicate.
fn price_note(
    terms: &OfferTerms,
    qty: u64,
    to: &Address,
    maker: &curve25519_dalek::ristretto::CompressedRistretto,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<EncryptedNote, Error> {
    let mut memo = PRICE_MEMO.to_vec();
    memo.extend_from_slice(&terms.give.to_le_bytes());
    memo.extend_from_slice(&terms.want.to_le_bytes());
    let opening = NoteOpening {
        qty,
        flavor: terms.give_flavor,
        qty_blinding: Scalar::ZERO,
        flavor_blinding: Scalar::ZERO,
        memo,
    };
    Ok(EncryptedNote::seal(
        &opening,
        to.encryption_point(),
        maker,
        rng,
    )?)
}

/// A private offer's price, from the first of its transaction's notes this
/// wallet opens.
fn read_price(w: &Wallet, offer: &Contract, data: &[Vec<u8>]) -> Option<(u64, u64)> {
    let maker = offer.predicate.to_point();
    data.iter().find_map(|d| {
        let note = EncryptedNote::from_bytes(d).ok()?;
        let opening = note.open(w.keys().view_key(), &maker).ok()?;
        let price = opening.memo.strip_prefix(PRICE_MEMO)?;
        let give = u64::from_le_bytes(price.get(..8)?.try_into().ok()?);
        let want = u64::from_le_bytes(price.get(8..16)?.try_into().ok()?);
        Some((give, want))
    })
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
fn fetch_offer(client: &Client, id: &str) -> Result<(Contract, u64, Vec<Vec<u8>>), Error> {
    let record: serde_json::Value = client
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
    let data: Vec<Vec<u8>> = tx
        .log
        .iter()
        .filter_map(|e| match e {
            node::api_types::LogEntry::Data { hex } => hex::decode(hex).ok(),
            _ => None,
        })
        .collect();
    let Some(zkvm::PortableItem::Value(v)) = contract.payload.first() else {
        return Err(Error::Usage(format!("{id} is not an offer")));
    };
    let qty = wallet::logged_quantity(&v.qty.to_point(), data.iter().map(Vec::as_slice))
        .ok_or_else(|| Error::Usage(format!("{id}: its quantity is not logged")))?;
    Ok((contract, qty, data))
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
        let w = wallet_cmd::open_reader(&wallet.wallet)?;
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
