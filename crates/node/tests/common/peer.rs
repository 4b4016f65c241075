//! Peers driven by the tests: waiting on a node, its address and identity,
//! and an [`Attacker`] built from the node's own behaviour that sends what
//! an honest node never would.

use std::time::{Duration, Instant};

use blockchain::Genesis;
use futures::StreamExt;
use libp2p::identity::Keypair;
use libp2p::swarm::SwarmEvent;
use libp2p::{gossipsub, request_response, Multiaddr, PeerId, Swarm};
use node::network::messages::{PoolRequest, PoolResponse, SyncRequest, SyncResponse};
use node::network::{build_swarm, Behaviour, BehaviourEvent, Names};
use node::RunningNode;

/// Polls `done` every 50 ms until it holds; fails after `secs` seconds.
pub fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The node's first listening address, once it has one.
pub fn listen_addr(node: &RunningNode) -> Multiaddr {
    let mut addr = None;
    wait_for("a listening address", 10, || {
        addr = node.network().info().listen.first().cloned();
        addr.is_some()
    });
    addr.unwrap()
}

/// The node's peer ID.
pub fn peer_id(node: &RunningNode) -> PeerId {
    node.network().info().peer_id.unwrap()
}

/// The score `node` gives `peer`, while connected.
pub fn score_of(node: &RunningNode, peer: &PeerId) -> Option<i32> {
    node.network()
        .info()
        .peers
        .iter()
        .find(|p| p.id == *peer)
        .map(|p| p.score)
}

/// A peer driven by the test.
pub struct Attacker {
    /// Its swarm.
    pub swarm: Swarm<Behaviour>,
    /// The network's topic names.
    pub names: Names,
    /// The node it connected to.
    pub target: PeerId,
    runtime: tokio::runtime::Runtime,
}

impl Attacker {
    /// Connects to `target` and waits for its subscriptions to the
    /// transaction and block topics (publishing needs them).
    pub fn connect(genesis: &Genesis, target: &RunningNode) -> Attacker {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let names = Names::new(&genesis.state().unwrap().initial.id()).unwrap();
        let mut swarm = runtime
            .block_on(async { build_swarm(Keypair::generate_ed25519(), &names, 0) })
            .unwrap();
        let addr = listen_addr(target);
        let target = peer_id(target);
        runtime.block_on(async { swarm.dial(addr).unwrap() });
        let mut a = Attacker {
            swarm,
            names,
            target,
            runtime,
        };
        let mut topics = 0;
        let (tx, block) = (a.names.tx.hash(), a.names.block.hash());
        a.drive(Duration::from_secs(10), |e| {
            if let SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Subscribed {
                topic,
                ..
            })) = e
            {
                if *topic == tx || *topic == block {
                    topics += 1;
                }
            }
            topics == 2
        });
        assert_eq!(topics, 2, "the target's subscriptions never came");
        a
    }

    /// Runs the swarm until `stop` says so or `limit` passes; whether it
    /// stopped.
    pub fn drive(
        &mut self,
        limit: Duration,
        mut stop: impl FnMut(&SwarmEvent<BehaviourEvent>) -> bool,
    ) -> bool {
        let swarm = &mut self.swarm;
        self.runtime.block_on(async {
            tokio::time::timeout(limit, async {
                loop {
                    let event = swarm.select_next_some().await;
                    if stop(&event) {
                        return;
                    }
                }
            })
            .await
            .is_ok()
        })
    }

    /// Publishes `data` on the block topic or the transaction topic and
    /// lets it go out; false once the target is gone.
    pub fn publish(&mut self, block_topic: bool, data: Vec<u8>) -> bool {
        let topic = if block_topic {
            self.names.block.clone()
        } else {
            self.names.tx.clone()
        };
        self.publish_on(topic, data)
    }

    /// Publishes `data` on the compact block topic.
    pub fn publish_compact(&mut self, data: Vec<u8>) -> bool {
        let topic = self.names.compact.clone();
        self.publish_on(topic, data)
    }

    fn publish_on(&mut self, topic: gossipsub::IdentTopic, data: Vec<u8>) -> bool {
        if !self.swarm.is_connected(&self.target) {
            return false;
        }
        let swarm = &mut self.swarm;
        let sent = self
            .runtime
            .block_on(async { swarm.behaviour_mut().gossip.publish(topic, data) });
        self.drive(Duration::from_millis(300), |_| false);
        sent.is_ok()
    }

    /// Dials `addr` (e.g. to come back after a ban).
    pub fn dial(&mut self, addr: Multiaddr) {
        let swarm = &mut self.swarm;
        self.runtime.block_on(async { swarm.dial(addr).unwrap() });
    }

    /// This peer's ID.
    pub fn peer_id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    /// Answers the target's sync requests with `sync` and its pool
    /// exchange requests with `pool` until its score for this peer is
    /// `score`.
    pub fn serve(
        &mut self,
        node: &RunningNode,
        score: i32,
        sync: impl Fn(&SyncRequest) -> Option<SyncResponse>,
        pool: impl Fn(&PoolRequest) -> Option<PoolResponse>,
    ) {
        let peer = self.peer_id();
        self.serve_until(node, |n| score_of(n, &peer) == Some(score), sync, pool);
    }

    /// Answers the target's sync and pool exchange requests with `sync`
    /// and `pool` until `done(node)`, for at most 20 s.
    pub fn serve_until(
        &mut self,
        node: &RunningNode,
        done: impl Fn(&RunningNode) -> bool,
        sync: impl Fn(&SyncRequest) -> Option<SyncResponse>,
        pool: impl Fn(&PoolRequest) -> Option<PoolResponse>,
    ) {
        let peer = self.peer_id();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(node) {
            assert!(
                Instant::now() < deadline,
                "score {:?}: {:?}",
                score_of(node, &peer),
                node.network().info()
            );
            let swarm = &mut self.swarm;
            self.runtime.block_on(async {
                let _ = tokio::time::timeout(Duration::from_millis(100), async {
                    loop {
                        match swarm.select_next_some().await {
                            SwarmEvent::Behaviour(BehaviourEvent::Sync(
                                request_response::Event::Message {
                                    message:
                                        request_response::Message::Request {
                                            request, channel, ..
                                        },
                                    ..
                                },
                            )) => {
                                if let Some(response) = sync(&request) {
                                    let _ =
                                        swarm.behaviour_mut().sync.send_response(channel, response);
                                }
                            }
                            SwarmEvent::Behaviour(BehaviourEvent::Pool(
                                request_response::Event::Message {
                                    message:
                                        request_response::Message::Request {
                                            request, channel, ..
                                        },
                                    ..
                                },
                            )) => {
                                if let Some(response) = pool(&request) {
                                    let _ =
                                        swarm.behaviour_mut().pool.send_response(channel, response);
                                }
                            }
                            _ => {}
                        }
                    }
                })
                .await;
            });
        }
    }

    /// Waits until `node` gives this peer a score of `score`, or, with
    /// `at_most`, one no higher (soft penalties wear off with time:
    /// docs/spec/network.md §Scoring).
    pub fn wait_score(&mut self, node: &RunningNode, score: i32, at_most: bool) {
        let peer = self.peer_id();
        let deadline = Instant::now() + Duration::from_secs(20);
        let reached = |s: Option<i32>| match s {
            Some(s) if at_most => s <= score,
            s => s == Some(score),
        };
        while !reached(score_of(node, &peer)) {
            assert!(
                Instant::now() < deadline,
                "score {:?}, expected {score}: {:?}",
                score_of(node, &peer),
                node.network().info()
            );
            self.drive(Duration::from_millis(100), |_| false);
        }
    }

    /// Waits until the target closes the connection.
    pub fn cut_off(&mut self) -> bool {
        let target = self.target;
        if !self.swarm.is_connected(&target) {
            return true;
        }
        self.drive(Duration::from_secs(20), |e| {
            matches!(e, SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } if *peer_id == target)
        })
    }
}
