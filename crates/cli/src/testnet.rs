//! `zkvm testnet init`: a federation of validators on one machine
//! (docs/spec/consensus.md §Node). Writes one shared genesis naming N
//! validators (power 1 each) and funding a dev wallet as the devnet's
//! does, and N data directories `DIR/v1..vN`, each with its own validator
//! key, its configuration (loopback API, p2p and consensus ports; every
//! other validator as a peer) and its chain, so that `zkvm node run
//! --data-dir DIR/vK` starts validator K.

use std::path::{Path, PathBuf};

use blockchain::Genesis;
use clap::{Args, Subcommand};
use curve25519_dalek::scalar::Scalar;
use musig::SecretKey;
use node::{Chain, NodeConfig};
use zeroize::Zeroizing;

use crate::devnet::dev_wallet;
use crate::{Error, Output};

/// Most validators `testnet init` writes (each runs a node on this
/// machine).
const MAX_TESTNET_VALIDATORS: usize = 64;

/// The `testnet` subcommands.
#[derive(Debug, Subcommand)]
pub enum TestnetCommand {
    /// Write N validators' data directories and their shared genesis.
    Init(InitArgs),
}

/// `zkvm testnet init` options.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// How many validators (each of voting power 1).
    #[arg(long)]
    pub validators: usize,
    /// The directory to write into (`DIR/v1..vN`, `DIR/genesis.hex`,
    /// `DIR/wallet.redb`); it must not hold a testnet already.
    #[arg(long)]
    pub dir: PathBuf,
    /// Validator K (from 1) uses ports BASE+3(K-1) (API), +1 (p2p), +2
    /// (consensus), all on 127.0.0.1.
    #[arg(long, default_value_t = 27100)]
    pub base_port: u16,
}

/// Runs a `testnet` subcommand.
pub fn run(command: TestnetCommand) -> Result<Output, Error> {
    match command {
        TestnetCommand::Init(args) => init(&args),
    }
}

/// The loopback ports of validator `i` (from 0): API, p2p, consensus.
fn ports(base: u16, i: usize) -> Result<(u16, u16, u16), Error> {
    let first = usize::from(base) + 3 * i;
    let port = |n: usize| {
        u16::try_from(n).map_err(|_| Error::Usage(format!("--base-port {base} leaves no room")))
    };
    Ok((port(first)?, port(first + 1)?, port(first + 2)?))
}

fn init(args: &InitArgs) -> Result<Output, Error> {
    let n = args.validators;
    if n == 0 || n > MAX_TESTNET_VALIDATORS {
        return Err(Error::Usage(format!(
            "--validators takes 1 to {MAX_TESTNET_VALIDATORS}"
        )));
    }
    // The last validator's and a follower's ports must fit.
    ports(args.base_port, n)?;
    let dir = &args.dir;
    if dir.join("genesis.hex").exists() {
        return Err(Error::Usage(format!(
            "{} holds a testnet already",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Usage(format!("cannot create {}: {e}", dir.display())))?;
    let dir = dir
        .canonicalize()
        .map_err(|e| Error::Usage(format!("{}: {e}", dir.display())))?;

    let mut rng = rand::thread_rng();
    let scalars: Vec<Zeroizing<Scalar>> = (0..n)
        .map(|_| Zeroizing::new(Scalar::random(&mut rng)))
        .collect();
    let keys: Vec<SecretKey> = scalars
        .iter()
        .map(|s| SecretKey::from_scalar(**s))
        .collect();
    let set = consensus::ValidatorSet::new(
        keys.iter()
            .map(|k| {
                consensus::Validator::new(consensus::ValidatorKey::new(k.verification_key())?, 1)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(node::NodeError::Consensus)?,
    )
    .map_err(node::NodeError::Consensus)?;
    let (mut wallet, utxos, assets) = dev_wallet(&dir.join("wallet.redb"))?;
    let genesis = Genesis {
        timestamp_ms: node::now_ms(),
        // Unused on a validators chain (blocks are sealed by
        // certificates); the first validator's key by convention.
        signers: keys[0].verification_key(),
        utxos,
        validators: set.genesis_entries(),
        assets,
    };
    wallet.follow(&genesis)?;
    drop(wallet);
    std::fs::write(dir.join("genesis.hex"), hex::encode(genesis.to_bytes()))
        .map_err(|e| Error::Usage(format!("cannot write the genesis: {e}")))?;

    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let (api, p2p, cons) = ports(args.base_port, i)?;
        let others = (0..n).filter(|j| *j != i);
        let mut config = NodeConfig {
            data_dir: dir.join(format!("v{}", i + 1)),
            api_addr: std::net::SocketAddr::from(([127, 0, 0, 1], api)),
            listen: vec![format!("127.0.0.1:{p2p}")],
            consensus_listen: Some(format!("/ip4/127.0.0.1/tcp/{cons}")),
            // A local federation: a block half a second after the last
            // decision when payments wait, an empty one within a second.
            block_interval_ms: 500,
            empty_block_interval_ms: 1_000,
            ..NodeConfig::default()
        };
        for j in others {
            let (_, p, c) = ports(args.base_port, j)?;
            config.peers.push(format!("127.0.0.1:{p}"));
            config
                .consensus_peers
                .push(format!("/ip4/127.0.0.1/tcp/{c}"));
        }
        write_validator_dir(&config, &scalars[i], &genesis)?;
        nodes.push(serde_json::json!({
            "data_dir": config.data_dir.display().to_string(),
            "api": format!("http://{}", config.api_addr),
            "p2p": config.listen[0],
            "consensus": config.consensus_listen,
            "validator_key": hex::encode(keys[i].verification_key().to_bytes()),
            "run": format!("zkvm node run --data-dir {}", config.data_dir.display()),
        }));
    }
    let (f_api, f_p2p, _) = ports(args.base_port, n)?;
    let follower = dir.join("follower");
    let (_, first_p2p, _) = ports(args.base_port, 0)?;
    Ok(Output::Json(serde_json::json!({
        "dir": dir.display().to_string(),
        "network": genesis.state().map_err(node::NodeError::Chain)?.initial.id().to_string(),
        "genesis": dir.join("genesis.hex").display().to_string(),
        "wallet": dir.join("wallet.redb").display().to_string(),
        "validators": nodes,
        "follower": [
            format!("zkvm node init --data-dir {} --genesis {}", follower.display(), dir.join("genesis.hex").display()),
            format!(
                "zkvm node run --data-dir {} --api-addr 127.0.0.1:{f_api} --listen 127.0.0.1:{f_p2p} --peer 127.0.0.1:{first_p2p}",
                follower.display()
            ),
        ],
    })))
}

/// Writes validator `config.data_dir`: its key (0600), its
/// `config.toml` and its chain from `genesis`.
fn write_validator_dir(
    config: &NodeConfig,
    scalar: &Scalar,
    genesis: &Genesis,
) -> Result<(), Error> {
    let d: &Path = &config.data_dir;
    std::fs::create_dir_all(d)
        .map_err(|e| Error::Usage(format!("cannot create {}: {e}", d.display())))?;
    node::write_validator_key(&d.join(node::VALIDATOR_KEY_FILE), scalar)?;
    std::fs::write(d.join(NodeConfig::FILE_NAME), config.to_toml())
        .map_err(|e| Error::Usage(format!("cannot write the configuration: {e}")))?;
    Chain::init(&config.db_path(), genesis.clone(), None, config.limits())?;
    Ok(())
}
