//! The speed limit of an event loop on this machine: a minimal hand-written M/M/c (λ = 900/s, μ = 100/s,
//! c = 10) with the same generator, exponential draws and histogram as regionsim, for `benches/speed.sh`
//! to time against `regionsim run` on the same requests. `cargo run --release --example mmc_loop -- SECONDS`
//! prints the requests completed.

#[path = "../benches/common/baseline_mmc.rs"]
mod baseline_mmc;

use baseline_mmc::baseline_mmc;

fn main() {
    let horizon_s: f64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000.0);
    println!("{}", baseline_mmc(horizon_s, 1));
}
