//! The agenda: what the World will do, ordered by (time, sequence number). It is the
//! only place where time moves, and the sequence number makes the order total, so the
//! same inputs always give the same trace.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::SimTime;

struct Scheduled<A> {
    at: SimTime,
    seq: u64,
    action: A,
}

impl<A> PartialEq for Scheduled<A> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<A> Eq for Scheduled<A> {}
impl<A> PartialOrd for Scheduled<A> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<A> Ord for Scheduled<A> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Actions in time order; equal times in the order they were scheduled.
pub struct Agenda<A> {
    heap: BinaryHeap<Reverse<Scheduled<A>>>,
    seq: u64,
}

impl<A> Default for Agenda<A> {
    fn default() -> Self {
        Agenda { heap: BinaryHeap::new(), seq: 0 }
    }
}

impl<A> Agenda<A> {
    pub fn schedule(&mut self, at: SimTime, action: A) {
        self.seq += 1;
        self.heap.push(Reverse(Scheduled { at, seq: self.seq, action }));
    }

    /// When the next action is due.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(s)| s.at)
    }

    pub fn pop(&mut self) -> Option<(SimTime, A)> {
        self.heap.pop().map(|Reverse(s)| (s.at, s.action))
    }

    /// Every scheduled action with its time, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (SimTime, &A)> {
        self.heap.iter().map(|Reverse(s)| (s.at, &s.action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_then_insertion_order() {
        let mut a = Agenda::default();
        a.schedule(SimTime(5), "c");
        a.schedule(SimTime(1), "a");
        a.schedule(SimTime(5), "d");
        a.schedule(SimTime(1), "b");
        let order: Vec<&str> = std::iter::from_fn(|| a.pop()).map(|(_, x)| x).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }
}
