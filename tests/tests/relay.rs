//! The relay's aggregated post (`post_next_aggregated`): the aggregation job
//! is asked only for a batch that is proven, and an aggregation that fails
//! names its batch and posts nothing.

use std::cell::Cell;
use std::path::PathBuf;

use clearproof_sequencer::relay::{
    post_next_aggregated, Aggregate, ProvenBatches, RelayError, Step,
};
use clearproof_tests::{small_keys, Backend};
use clearproof_verifier::base_layer::rules::{PostedAggregate, PostedBatch};

/// A source that has proven `batch` (or nothing).
struct Source(Option<PostedBatch>);

impl ProvenBatches for Source {
    fn proven(&self, number: u64) -> Result<Option<PostedBatch>, RelayError> {
        Ok(self.0.clone().filter(|b| b.number == number))
    }
}

/// An aggregation job that always fails, counting its calls.
#[derive(Default)]
struct Failing(Cell<usize>);

impl Aggregate for Failing {
    fn aggregate(&self, _: &PostedBatch) -> Result<PostedAggregate, String> {
        self.0.set(self.0.get() + 1);
        Err("out of memory".into())
    }
}

fn key() -> clearproof_verifier::key::VerifierKey {
    small_keys(&PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keys")).verifier_key()
}

#[test]
fn an_unproven_batch_waits_without_asking_the_aggregation_job() {
    let key = key();
    let base = Backend::Memory.base_layer(&key, |_| {});
    let job = Failing::default();
    let step = post_next_aggregated(&Source(None), &*base, &key, &job).unwrap();
    assert_eq!(step, Step::Waiting { next: 1 });
    assert_eq!(job.0.get(), 0);
}

#[test]
fn a_failed_aggregation_names_its_batch_and_posts_nothing() {
    let key = key();
    let base = Backend::Memory.base_layer(&key, |_| {});
    let before = base.state().unwrap();
    let batch = PostedBatch { number: 1, data: Vec::new(), proofs: Vec::new(), aggregate: None };
    let job = Failing::default();
    match post_next_aggregated(&Source(Some(batch)), &*base, &key, &job) {
        Err(RelayError::Aggregation { number: 1, message }) => assert_eq!(message, "out of memory"),
        other => panic!("expected the aggregation's failure, got {other:?}"),
    }
    assert_eq!(job.0.get(), 1);
    assert_eq!(base.state().unwrap(), before);
    assert!(base.batch(1).unwrap().is_none());
}
