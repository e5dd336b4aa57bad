//! The requests of a sweep analysed on several threads. Each thread takes the next few requests as it finishes the
//! last, keeps what it learns in a state of its own, and the results come back in the requests' order, so what
//! the engine does with them (counting, reporting, learning: counts, which add up the same in any order) is the
//! same on any number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Requests a thread takes at a time: few enough that the threads finish together, enough that taking is rare.
const CHUNK: usize = 8;
/// Below this many requests a sweep is analysed on the caller's thread alone: starting threads would cost more.
const MIN_PARALLEL: usize = 2 * CHUNK;

/// `work` applied to every item on up to `threads` threads (the caller's among them), the results in the items'
/// order, and each thread's state (made by `state`). One thread, or few items, run on the caller's thread alone.
pub(super) fn map_in_order<T, R, S>(
    threads: usize,
    items: &[T],
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) -> R + Sync,
) -> (Vec<R>, Vec<S>)
where
    T: Sync,
    R: Send,
    S: Send,
{
    let threads = threads.min(items.len().div_ceil(CHUNK));
    if threads <= 1 || items.len() < MIN_PARALLEL {
        let mut one = state();
        let results = items.iter().map(|item| work(&mut one, item)).collect();
        return (results, vec![one]);
    }
    let next = AtomicUsize::new(0);
    let run = || {
        let mut own = state();
        let mut done: Vec<(usize, R)> = Vec::new();
        loop {
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= items.len() {
                break;
            }
            for (i, item) in items.iter().enumerate().skip(start).take(CHUNK) {
                done.push((i, work(&mut own, item)));
            }
        }
        (done, own)
    };
    let parts: Vec<(Vec<(usize, R)>, S)> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(run)).collect();
        let mut parts = vec![run()];
        for other in others {
            match other.join() {
                Ok(part) => parts.push(part),
                // A thread that panicked is a bug: the panic goes on on the caller's thread.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        parts
    });
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let mut states = Vec::with_capacity(parts.len());
    for (done, own) in parts {
        for (i, result) in done {
            slots[i] = Some(result);
        }
        states.push(own);
    }
    // Every index below the length was taken by exactly one thread, and every thread ran to the end.
    (slots.into_iter().flatten().collect(), states)
}

#[cfg(test)]
mod tests {
    use super::map_in_order;

    #[test]
    fn results_come_back_in_order_whatever_the_threads() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [1, 2, 3, 8] {
            let (results, states) = map_in_order(
                threads,
                &items,
                || 0u64,
                |sum, &i| {
                    *sum += i;
                    i * i
                },
            );
            assert_eq!(results, items.iter().map(|i| i * i).collect::<Vec<_>>());
            assert_eq!(states.iter().sum::<u64>(), items.iter().sum::<u64>());
            assert!(states.len() <= threads, "{threads}: {}", states.len());
        }
        // Few items stay on the caller's thread.
        let (results, states) = map_in_order(4, &items[..3], || (), |_, &i| i);
        assert_eq!((results, states.len()), (vec![0, 1, 2], 1));
    }
}
