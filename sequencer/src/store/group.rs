//! [`GroupCommit`]: the one writer that makes a store durable.
//!
//! Every caller that needs "everything written so far is durable" asks this
//! writer instead of flushing itself. Its thread takes the first waiting request,
//! then every request that queued up meanwhile (the group), flushes once, and
//! answers the whole group. So the underlying store is flushed by one thread
//! only, never by several tasks at once (sled 0.34 can deadlock when
//! `flush_async` runs concurrently), and under load one flush serves many
//! requests. A request covers every write applied before it was made: the
//! flush starts after the request is dequeued.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::StoreError;

type Answer = Box<dyn FnOnce(Result<(), Arc<str>>) + Send>;

/// The single flushing thread of a store. Dropping the last handle stops it.
pub struct GroupCommit {
    requests: Mutex<mpsc::Sender<Answer>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the writer thread; `flush` makes everything written so far durable.
    pub fn start<F>(name: &str, flush: F) -> Self
    where
        F: Fn() -> Result<(), StoreError> + Send + 'static,
    {
        let (requests, queue) = mpsc::channel::<Answer>();
        std::thread::Builder::new()
            .name(format!("{name}-group-commit"))
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut group = vec![first];
                    group.extend(queue.try_iter());
                    let result = flush().map_err(|e| Arc::<str>::from(e.to_string()));
                    tracing::trace!(group = group.len(), ok = result.is_ok(), "group flushed");
                    for answer in group {
                        answer(result.clone());
                    }
                }
            })
            .expect("spawn the group-commit thread");
        Self { requests: Mutex::new(requests) }
    }

    fn request(&self, answer: Answer) -> Result<(), StoreError> {
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        requests.send(answer).map_err(|_| StoreError::Durability("the writer stopped".into()))
    }

    /// Blocks until everything written before the call is durable.
    pub fn wait(&self) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.request(Box::new(move |r| {
            let _ = tx.send(r);
        }))?;
        let result = rx.recv().map_err(|_| StoreError::Durability("the writer stopped".into()))?;
        result.map_err(|e| StoreError::Durability(e.to_string()))
    }

    /// Resolves once everything written before the call is durable.
    pub async fn durable(&self) -> Result<(), StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.request(Box::new(move |r| {
            let _ = tx.send(r);
        }))?;
        let result = rx.await.map_err(|_| StoreError::Durability("the writer stopped".into()))?;
        result.map_err(|e| StoreError::Durability(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn one_flush_serves_a_group_and_failures_reach_every_waiter() {
        let flushes = Arc::new(AtomicUsize::new(0));
        let counter = flushes.clone();
        let writer = Arc::new(GroupCommit::start("test", move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }));
        let threads: Vec<_> = (0..32)
            .map(|_| {
                let w = writer.clone();
                std::thread::spawn(move || w.wait())
            })
            .collect();
        for t in threads {
            t.join().unwrap().unwrap();
        }
        let n = flushes.load(Ordering::SeqCst);
        assert!((1..32).contains(&n), "32 waiters took {n} flushes");

        let failing = GroupCommit::start("failing", || Err(StoreError::Corrupt("disk".into())));
        let e = failing.wait().unwrap_err();
        assert!(e.to_string().contains("disk"), "{e}");
    }
}
