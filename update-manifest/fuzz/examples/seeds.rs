//! Writes the seed corpus: a few valid signed manifests, whole for the
//! `verify` target and without their signature for `signed`.
//!
//! `cargo run --example seeds -- CORPUS_DIR` writes `CORPUS_DIR/verify/seed-*`
//! and `CORPUS_DIR/signed/seed-*`; the seeds are deterministic (Ed25519
//! signing is), so running it again rewrites the same files.

use std::path::PathBuf;
use std::process::ExitCode;

use update_manifest::SIGNATURE_LEN;
use update_manifest_fuzz::seed_manifests;

fn main() -> ExitCode {
    let Some(corpus) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: seeds CORPUS_DIR");
        return ExitCode::from(2);
    };
    let seeds = seed_manifests();
    for (target, strip) in [("verify", 0), ("signed", SIGNATURE_LEN)] {
        let dir = corpus.join(target);
        if let Err(error) = std::fs::create_dir_all(&dir) {
            eprintln!("seeds: cannot create {}: {error}", dir.display());
            return ExitCode::FAILURE;
        }
        for (name, bytes) in &seeds {
            let path = dir.join(format!("seed-{name}"));
            if let Err(error) = std::fs::write(&path, &bytes[..bytes.len() - strip]) {
                eprintln!("seeds: cannot write {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
        }
        println!("seeds: {} seeds in {}", seeds.len(), dir.display());
    }
    ExitCode::SUCCESS
}
