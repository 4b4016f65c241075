//! An order book on a devnet, as processes with wallets of distinct
//! parties: two makers offer GOLD for native units at different prices;
//! takers take the best first, one in part (the remainder stays on offer
//! and a second taker fills it); a maker cancels; an expired offer is no
//! longer listed nor taken. Every balance is checked, fees included, and
//! every history says what happened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::wallets::{balance, contract_id, fails, kinds, new_wallet, ok};
use common::{Devnet, FAST};

#[test]
fn an_order_book_with_two_makers_partial_fills_a_cancel_and_an_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (m1, m1_addr) = new_wallet(&net, work, "maker1");
    let (m2, m2_addr) = new_wallet(&net, work, "maker2");
    let (t1, t1_addr) = new_wallet(&net, work, "taker1");
    let (t2, t2_addr) = new_wallet(&net, work, "taker2");

    // The dev wallet issues GOLD and funds everyone.
    let gold = ok(
        &net,
        work,
        &[
            "wallet", "issue", "--qty", "10000", "--name", "GOLD", "--fee", "10", "--wait",
        ],
    )["flavor"]
        .as_str()
        .unwrap()
        .to_string();
    for (to, asset, qty) in [
        (&m1_addr, gold.as_str(), "1000"),
        (&m2_addr, gold.as_str(), "1000"),
        (&m1_addr, "native", "1000"),
        (&m2_addr, "native", "1000"),
        (&t1_addr, "native", "5000"),
        (&t2_addr, "native", "5000"),
    ] {
        ok(
            &net,
            work,
            &[
                "wallet", "send", "--to", to, "--qty", qty, "--asset", asset, "--fee", "10",
                "--wait",
            ],
        );
    }

    // Two offers of 100 GOLD: 250 native (2.5 each) and 200 (2.0 each).
    let offer = |wallet: &str, want: &str, expires: &str| {
        let made = ok(
            &net,
            work,
            &[
                "offer",
                "--wallet",
                wallet,
                "new",
                "--give",
                "100",
                &gold,
                "--want",
                want,
                "native",
                "--expires-in",
                expires,
                "--fee",
                "10",
                "--wait",
            ],
        );
        contract_id(&made)
    };
    // The `field` of `asset` in the balance of the wallet file `wallet`.
    let held =
        |wallet: &str, asset: &str, field: &str| balance(&net, work, Some(wallet), asset, field);
    let o1 = offer(&m1, "250", "3600");
    let o2 = offer(&m2, "200", "3600");
    assert_eq!(held(&m2, &gold, "offered"), 100);
    assert_eq!(held(&m2, &gold, "spendable"), 900);
    let pair = format!("{gold}/native");
    let book = ok(&net, work, &["market", "book", &pair]);
    let ids: Vec<&str> = book["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["contract_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [o2.as_str(), o1.as_str()], "best price first: {book}");
    assert_eq!(book["offers"][0]["qty"], 100);

    // Taker 1 takes 40 of the best (80 native); 60 stay on offer.
    let took = ok(
        &net,
        work,
        &[
            "offer", "--wallet", &t1, "take", &o2, "--qty", "40", "--fee", "10", "--wait",
        ],
    );
    assert_eq!(took["paid"]["qty"], 80);
    assert_eq!(took["remaining"], 60);
    let book = ok(&net, work, &["market", "book", &pair]);
    let best = &book["offers"][0];
    assert_eq!(best["qty"], 60, "{book}");
    assert_eq!(best["unit_price"], 2.0);
    let rest = best["contract_id"].as_str().unwrap().to_string();
    assert_ne!(rest, o2);
    // Paying less than the price is refused by the wallet's own check.
    let e = fails(
        &net,
        work,
        &[
            "offer",
            "--wallet",
            &t2,
            "take",
            &rest,
            "--qty",
            "60",
            "--max-pay",
            "119",
            "--fee",
            "10",
        ],
    );
    assert!(e.contains("more than --max-pay 119"), "{e}");
    // Taker 2 fills the remainder: 60 for 120.
    ok(
        &net,
        work,
        &[
            "offer", "--wallet", &t2, "take", &rest, "--fee", "10", "--wait",
        ],
    );
    let book = ok(&net, work, &["market", "book", &pair]);
    assert_eq!(book["offers"].as_array().unwrap().len(), 1);

    // Maker 1 cancels; an expiring offer drops out of the book.
    ok(
        &net,
        work,
        &[
            "offer",
            "--wallet",
            &m1,
            "cancel",
            &o1[..16],
            "--fee",
            "10",
            "--wait",
        ],
    );
    let o3 = offer(&m1, "300", "2");
    std::thread::sleep(Duration::from_secs(3));
    let book = ok(&net, work, &["market", "book", &pair]);
    assert_eq!(book["offers"].as_array().unwrap().len(), 0, "{book}");
    let e = fails(
        &net,
        work,
        &["offer", "--wallet", &t1, "take", &o3, "--fee", "10"],
    );
    assert!(e.contains("expired"), "{e}");

    // Every balance, fees included.
    assert_eq!(held(&m2, &gold, "spendable"), 900);
    assert_eq!(held(&m2, &gold, "offered"), 0);
    assert_eq!(held(&m2, "native", "spendable"), 1000 - 10 + 80 + 120);
    assert_eq!(held(&t1, &gold, "spendable"), 40);
    assert_eq!(held(&t1, "native", "spendable"), 5000 - 80 - 10);
    assert_eq!(held(&t2, &gold, "spendable"), 60);
    assert_eq!(held(&t2, "native", "spendable"), 5000 - 120 - 10);
    // Maker 1: offered twice (one cancelled, one still held past expiry).
    assert_eq!(held(&m1, &gold, "spendable"), 900);
    assert_eq!(held(&m1, &gold, "offered"), 100);
    assert_eq!(held(&m1, "native", "spendable"), 1000 - 10 - 10 - 10);

    assert_eq!(
        kinds(&net, work, &m2)[2..],
        ["offer made", "offer taken", "offer taken"]
    );
    assert_eq!(kinds(&net, work, &t1)[1..], ["bought"]);
    assert_eq!(
        kinds(&net, work, &m1)[2..],
        ["offer made", "offer cancelled", "offer made"]
    );
    let listed = ok(&net, work, &["offer", "--wallet", &m1, "list"]);
    assert_eq!(listed["offers"][0]["contract_id"], o3.as_str());
}

#[test]
fn a_private_offer_shows_its_price_only_to_the_takers_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::start(dir.path(), FAST);
    let work = dir.path();
    let (t1, t1_addr) = new_wallet(&net, work, "taker1");
    let (t2, t2_addr) = new_wallet(&net, work, "taker2");
    let gold = ok(
        &net,
        work,
        &[
            "wallet", "issue", "--qty", "500", "--name", "GOLD", "--fee", "10", "--wait",
        ],
    )["flavor"]
        .as_str()
        .unwrap()
        .to_string();
    for to in [&t1_addr, &t2_addr] {
        ok(
            &net,
            work,
            &[
                "wallet", "send", "--to", to, "--qty", "1000", "--fee", "10", "--wait",
            ],
        );
    }
    // The dev wallet offers 100 GOLD for 300 native, privately to taker 1.
    let made = ok(
        &net,
        work,
        &[
            "offer",
            "new",
            "--give",
            "100",
            &gold,
            "--want",
            "300",
            "native",
            "--private-to",
            &t1_addr,
            "--fee",
            "10",
            "--wait",
        ],
    );
    let id = contract_id(&made);
    let book = ok(&net, work, &["market", "book", &format!("{gold}/native")]);
    let listed = &book["offers"][0];
    assert_eq!(listed["contract_id"], id.as_str());
    assert_eq!(listed["private"], true);
    assert!(
        listed["want"].is_null() && listed["unit_price"].is_null(),
        "{book}"
    );
    // Taker 2 was not told the price.
    let e = fails(
        &net,
        work,
        &[
            "offer", "--wallet", &t2, "take", &id, "--qty", "10", "--fee", "10",
        ],
    );
    assert!(
        e.contains("none of its price notes is for this wallet"),
        "{e}"
    );
    // Taker 1 reads it from the maker's note and takes 50 for 150.
    let took = ok(
        &net,
        work,
        &[
            "offer", "--wallet", &t1, "take", &id, "--qty", "50", "--fee", "10", "--wait",
        ],
    );
    assert_eq!(took["paid"]["qty"], 150);
    assert_eq!(balance(&net, work, Some(&t1), &gold, "spendable"), 50);
    assert_eq!(
        balance(&net, work, Some(&t1), "native", "spendable"),
        1000 - 150 - 10
    );
    assert_eq!(kinds(&net, work, &t1)[1..], ["bought"]);
}
