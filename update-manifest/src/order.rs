//! The order in which one manifest's entries can be queued: every entry
//! after the entries of the same manifest it depends on.
//!
//! The scheduler refuses an update whose dependency it does not know yet,
//! so the entries of one manifest are queued in dependency order rather
//! than in the order they are listed. A dependency cycle has no such order
//! and can never install; both `sign` and the kernel refuse it, naming
//! the cycle. Dependencies on updates outside the manifest play no part
//! here: the scheduler checks those against what it already holds.
//!
//! No allocation: a manifest has at most [`MAX_ENTRIES`] entries of at
//! most [`MAX_DEPENDENCIES`] dependencies, so the graph fits in fixed
//! arrays, and the depth-first walk keeps its own bounded stack instead of
//! recursing.

use core::fmt;

use update_sched::update::MAX_DEPENDENCIES;
use update_sched::UpdateId;

use crate::{Entry, MAX_ENTRIES};

/// The dependencies among the entries of one manifest.
#[derive(Clone, Debug)]
pub struct DependencyGraph {
    ids: heapless::Vec<UpdateId, MAX_ENTRIES>,
    dependencies: heapless::Vec<heapless::Vec<UpdateId, MAX_DEPENDENCIES>, MAX_ENTRIES>,
}

/// The graph already holds [`MAX_ENTRIES`] entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphFull;

impl fmt::Display for GraphFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "more than {MAX_ENTRIES} entries")
    }
}

impl core::error::Error for GraphFull {}

/// Ids of a cycle a [`DependencyCycle`] keeps: enough to find it, small
/// enough to pass around in an error.
const CYCLE_SHOWN: usize = 8;

/// A dependency cycle among a manifest's entries, as the ids met going
/// round it: prints as `dependency cycle #1 -> #2 -> #1`, a long one with
/// its first eight ids and its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DependencyCycle {
    shown: [UpdateId; CYCLE_SHOWN],
    len: u8,
}

impl DependencyCycle {
    /// The first ids going round the cycle (all of a short one), starting
    /// where the walk, which follows the listed order, entered it.
    pub fn ids(&self) -> &[UpdateId] {
        &self.shown[..self.len().min(CYCLE_SHOWN)]
    }

    /// The number of updates in the cycle.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always false: a cycle has at least two updates.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Display for DependencyCycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dependency cycle ")?;
        for id in self.ids() {
            write!(f, "{id} -> ")?;
        }
        if self.len() > CYCLE_SHOWN {
            write!(f, "... -> ")?;
        }
        write!(f, "{}", self.shown[0])?;
        if self.len() > CYCLE_SHOWN {
            write!(f, " ({} updates)", self.len())?;
        }
        Ok(())
    }
}

impl core::error::Error for DependencyCycle {}

/// Entry indices in an order in which they can be queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueOrder {
    indices: heapless::Vec<u8, MAX_ENTRIES>,
}

impl QueueOrder {
    /// The first `len` entries (at most [`MAX_ENTRIES`]) as listed.
    pub fn listed(len: usize) -> QueueOrder {
        QueueOrder {
            indices: (0..len.min(MAX_ENTRIES)).map(|index| index as u8).collect(),
        }
    }

    /// The indices, into the entries as they were added, in queue order.
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.indices.iter().map(|&index| usize::from(index))
    }
}

/// A node's place in the depth-first walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// Not reached yet.
    New,
    /// On the walk's current path.
    OnPath,
    /// Placed in the order, with everything it depends on.
    Placed,
}

impl Default for DependencyGraph {
    fn default() -> Self {
        DependencyGraph::new()
    }
}

impl DependencyGraph {
    /// An empty graph.
    pub const fn new() -> DependencyGraph {
        DependencyGraph {
            ids: heapless::Vec::new(),
            dependencies: heapless::Vec::new(),
        }
    }

    /// The graph of `entries`, in their order.
    pub fn of<'e>(
        entries: impl IntoIterator<Item = &'e Entry>,
    ) -> Result<DependencyGraph, GraphFull> {
        let mut graph = DependencyGraph::new();
        for entry in entries {
            graph.add(entry)?;
        }
        Ok(graph)
    }

    /// Adds the next entry.
    pub fn add(&mut self, entry: &Entry) -> Result<(), GraphFull> {
        self.ids.push(entry.id).map_err(|_| GraphFull)?;
        // Same capacity as `ids`, which had room.
        let _ = self.dependencies.push(entry.dependencies.clone());
        Ok(())
    }

    /// The index of the entry with update `id`, if there is one.
    fn index_of(&self, id: UpdateId) -> Option<usize> {
        self.ids.iter().position(|&known| known == id)
    }

    /// An order in which every entry comes after the entries it depends
    /// on, otherwise keeping the listed order as far as it can; or the
    /// first cycle found.
    pub fn queue_order(&self) -> Result<QueueOrder, DependencyCycle> {
        let mut marks = [Mark::New; MAX_ENTRIES];
        let mut order = QueueOrder {
            indices: heapless::Vec::new(),
        };
        // The walk's path: a node and how many of its dependencies have
        // been followed. A node is on it at most once, so MAX_ENTRIES fit.
        let mut path: heapless::Vec<(usize, usize), MAX_ENTRIES> = heapless::Vec::new();
        for root in 0..self.ids.len() {
            if marks[root] != Mark::New {
                continue;
            }
            marks[root] = Mark::OnPath;
            let _ = path.push((root, 0));
            while let Some(&mut (node, ref mut followed)) = path.last_mut() {
                let next = self.dependencies[node]
                    .get(*followed)
                    .map(|&dependency| self.index_of(dependency));
                *followed += 1;
                match next {
                    // A dependency outside this manifest, or one placed.
                    Some(None) => {}
                    Some(Some(target)) => match marks[target] {
                        Mark::Placed => {}
                        Mark::OnPath => return Err(self.cycle(&path, target)),
                        Mark::New => {
                            marks[target] = Mark::OnPath;
                            let _ = path.push((target, 0));
                        }
                    },
                    None => {
                        marks[node] = Mark::Placed;
                        // Indices are below MAX_ENTRIES (64), each placed
                        // once.
                        let _ = order.indices.push(node as u8);
                        path.pop();
                    }
                }
            }
        }
        Ok(order)
    }

    /// The cycle closed by an edge from the end of `path` back to `target`,
    /// which is on it.
    fn cycle(&self, path: &[(usize, usize)], target: usize) -> DependencyCycle {
        let start = path
            .iter()
            .position(|&(node, _)| node == target)
            .unwrap_or(0);
        let mut cycle = DependencyCycle {
            shown: [UpdateId(0); CYCLE_SHOWN],
            len: 0,
        };
        for (slot, &(node, _)) in cycle.shown.iter_mut().zip(&path[start..]) {
            *slot = self.ids[node];
        }
        // At most MAX_ENTRIES (64) nodes on the path.
        cycle.len = (path.len() - start) as u8;
        cycle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use update_sched::update::{UpdateName, Version};
    use update_sched::{Priority, UpdateKind};

    fn entry(id: u32, dependencies: &[u32]) -> Entry {
        Entry {
            id: UpdateId(id),
            name: UpdateName::try_from("a").unwrap(),
            kind: UpdateKind::Application,
            priority: Priority::Optional,
            version: Version::new(1, 0, 0),
            needs_reboot: false,
            runs_alone: false,
            estimate_minutes: 1,
            available_after_minutes: 0,
            payload_size: 0,
            payload_sha256: [0; 32],
            dependencies: dependencies.iter().map(|&id| UpdateId(id)).collect(),
        }
    }

    fn order(entries: &[Entry]) -> Result<Vec<u32>, String> {
        let graph = DependencyGraph::of(entries).unwrap();
        graph
            .queue_order()
            .map(|order| order.indices().map(|index| entries[index].id.0).collect())
            .map_err(|cycle| cycle.to_string())
    }

    #[test]
    fn test_entry_depending_on_a_later_entry_comes_after_it() {
        let entries = [entry(1, &[2]), entry(2, &[]), entry(3, &[])];
        assert_eq!(order(&entries), Ok(vec![2, 1, 3]));
    }

    #[test]
    fn test_listed_order_kept_without_dependencies_inside() {
        let entries = [entry(5, &[]), entry(4, &[99]), entry(3, &[5])];
        assert_eq!(order(&entries), Ok(vec![5, 4, 3]));
    }

    #[test]
    fn test_chain_listed_backwards_is_reversed() {
        let entries = [
            entry(1, &[2]),
            entry(2, &[3]),
            entry(3, &[4]),
            entry(4, &[]),
        ];
        assert_eq!(order(&entries), Ok(vec![4, 3, 2, 1]));
    }

    #[test]
    fn test_dependency_cycle_is_named() {
        let two = [entry(1, &[2]), entry(2, &[1])];
        assert_eq!(order(&two), Err("dependency cycle #1 -> #2 -> #1".into()));
        let three = [
            entry(7, &[]),
            entry(1, &[3]),
            entry(2, &[1]),
            entry(3, &[7, 2]),
        ];
        assert_eq!(
            order(&three),
            Err("dependency cycle #1 -> #3 -> #2 -> #1".into())
        );
    }

    #[test]
    fn test_longest_chain_fits() {
        let entries: Vec<Entry> = (0..MAX_ENTRIES as u32)
            .map(|id| {
                if id + 1 < MAX_ENTRIES as u32 {
                    entry(id, &[id + 1])
                } else {
                    entry(id, &[])
                }
            })
            .collect();
        let expected: Vec<u32> = (0..MAX_ENTRIES as u32).rev().collect();
        assert_eq!(order(&entries), Ok(expected));
        let mut circular = entries.clone();
        circular[MAX_ENTRIES - 1].dependencies = [UpdateId(0)].into_iter().collect();
        let cycle = DependencyGraph::of(&circular)
            .unwrap()
            .queue_order()
            .unwrap_err();
        assert_eq!(cycle.len(), MAX_ENTRIES);
        assert_eq!(
            cycle.to_string(),
            "dependency cycle #0 -> #1 -> #2 -> #3 -> #4 -> #5 -> #6 -> #7 -> ... -> #0 (64 updates)"
        );
        assert!(DependencyGraph::of(&[circular, vec![entry(999, &[])]].concat()).is_err());
    }
}
