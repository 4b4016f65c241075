//! `zkvm devnet`: a local network in one command. The first run creates a
//! data directory with a block key, a dev wallet and a genesis that funds
//! it; every run starts the node on it, producing blocks, and prints how to
//! use it.

use std::net::SocketAddr;
use std::path::Path;

use blockchain::Genesis;
use clap::Args;
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use node::{Chain, NodeConfig};
use wallet::{genesis_anchor, pay_to, Wallet};
use zeroize::Zeroizing;

use crate::node_cmd::{check_can_start, serve_until_stopped, NodeArgs};
use crate::{Error, Output};

/// Native units (the fee asset, the zero flavor) the dev wallet starts with.
pub const DEV_NATIVE: u64 = 1_000_000_000;
/// Units of the `DEV` asset the dev wallet starts with.
pub const DEV_ASSET: u64 = 1_000_000;
/// The dev asset's name: its flavor is the dev wallet's issuance flavor for
/// this metadata, so the dev wallet can also issue more of it.
pub const DEV_ASSET_NAME: &str = "DEV";
/// Names the devnet's genesis anchors (docs/spec/wallet.md §Genesis funding).
const NETWORK_NAME: &[u8] = b"zkvm-devnet";

/// `zkvm devnet` options.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    #[command(flatten)]
    pub(crate) node: NodeArgs,
}

/// Creates the devnet in `config.data_dir` unless one is there; returns
/// whether it was created.
pub fn prepare(config: &NodeConfig) -> Result<bool, Error> {
    if config.db_path().exists() {
        return Ok(false);
    }
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Usage(format!("cannot create {}: {e}", dir.display())))?;
    let mut rng = rand::thread_rng();
    let block_scalar = Zeroizing::new(Scalar::random(&mut rng));
    let signers = SecretKey::from_scalar(*block_scalar).verification_key();
    let (mut w, utxos, assets) = dev_wallet(&dir.join("wallet.redb"))?;
    let genesis = Genesis {
        timestamp_ms: node::now_ms(),
        signers,
        utxos,
        validators: Vec::new(),
        assets,
    };
    w.follow(&genesis)?;
    // Other nodes join with it: `zkvm node init --genesis <dir>/genesis.hex`.
    std::fs::write(dir.join("genesis.hex"), hex::encode(genesis.to_bytes()))
        .map_err(|e| Error::Usage(format!("cannot write the genesis: {e}")))?;
    let key = Zeroizing::new(block_scalar.to_bytes());
    Chain::init(&config.db_path(), genesis, Some(key), config.limits())?;
    Ok(true)
}

/// Creates the dev wallet at `path`, the genesis outputs that fund it
/// ([`DEV_NATIVE`] native units and [`DEV_ASSET`] of [`DEV_ASSET_NAME`]),
/// and the genesis's asset section that names DEV for every wallet and
/// node (docs/spec/blockchain.md §Genesis).
pub fn dev_wallet(
    path: &Path,
) -> Result<(Wallet, Vec<zkvm::Contract>, Vec<wallet::GenesisAsset>), Error> {
    let mut rng = rand::thread_rng();
    let (mut w, _) = Wallet::create(path, None)?;
    let address = w.new_address()?;
    let metadata = wallet::AssetMetadata::new(DEV_ASSET_NAME, 0, "")
        .map_err(|e| Error::Usage(e.to_string()))?;
    let dev = w.genesis_asset(metadata);
    let utxos = vec![
        pay_to(
            &address,
            DEV_NATIVE,
            Scalar::ZERO,
            genesis_anchor(NETWORK_NAME, 0),
            &mut rng,
        )?,
        pay_to(
            &address,
            DEV_ASSET,
            dev.flavor,
            genesis_anchor(NETWORK_NAME, 1),
            &mut rng,
        )?,
    ];
    Ok((w, utxos, vec![dev]))
}

/// Runs the devnet until Ctrl-C.
pub fn run(args: DevnetArgs) -> Result<Output, Error> {
    let config = args.node.config()?;
    // Before anything is created: a node already here, or a port taken.
    check_can_start(&config)?;
    let created = prepare(&config)?;
    let path = config.db_path();
    let limits = config.limits();
    let data_dir = config.data_dir.clone();
    let listen = config.listen.join(", ");
    let min_fee = blockchain::format_fee_rate(config.min_relay_fee_rate);
    serve_until_stopped(
        &config,
        move || Chain::open(&path, limits),
        |addr| print_banner(addr, &data_dir, &listen, &min_fee, created),
    )?;
    Ok(Output::Text(String::new()))
}

fn print_banner(addr: SocketAddr, dir: &Path, listen: &str, min_fee: &str, created: bool) {
    let wallet = dir.join("wallet.redb");
    let what = if created {
        "new devnet created"
    } else {
        "devnet resumed"
    };
    println!(
        "ZkVM {what} in {dir}\n\
         API:        http://{addr}  (docs/api.md)\n\
         p2p:        {listen}  (docs/spec/network.md)\n\
         dev wallet: {wallet}  ({DEV_NATIVE} native, {DEV_ASSET} {DEV_ASSET_NAME} at genesis)\n\
         relay fee:  at least {min_fee} (fee/bytes); wallets pay it unless given --fee\n\
         \n\
         In another terminal (ZKVM_NODE={addr}):\n  \
         zkvm chain status\n  \
         zkvm wallet balance\n  \
         zkvm wallet --wallet bob.redb new\n  \
         zkvm wallet send --to <bob's address> --qty 250 --asset {DEV_ASSET_NAME} --wait\n  \
         zkvm wallet --wallet bob.redb balance\n\
         \n\
         A second node that follows this one:\n  \
         zkvm node init --data-dir node2 --genesis {genesis}\n  \
         zkvm node run --data-dir node2 --api-addr 127.0.0.1:9799 --listen 127.0.0.1:9800 --peer {first_listen}\n\
         \n\
         Ctrl-C or `zkvm node stop --data-dir {dir}` stops the node; running `zkvm devnet` again resumes the same chain.",
        dir = dir.display(),
        wallet = wallet.display(),
        genesis = dir.join("genesis.hex").display(),
        first_listen = listen.split(", ").next().unwrap_or(node::DEFAULT_LISTEN_ADDR),
    );
}
