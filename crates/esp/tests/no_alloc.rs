//! `seal` and `open` allocate nothing: a counting global allocator watches
//! 1000 seal + open round trips per suite.
//!
//! The allocator needs `unsafe impl GlobalAlloc` (it only forwards to
//! `System`); the library itself forbids unsafe code. Allocations are counted
//! per thread, so the test harness's own threads do not interfere.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use ibex_esp::NextHeader;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: the slot may already be gone while the thread exits
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a const-initialized thread-local that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn seal_and_open_do_not_allocate() {
    for (encr, integ) in SUITES {
        for esn in [false, true] {
            let (mut out, mut inb) = sa_pair(encr, integ, esn);
            let inner = inner_packet(1400, NextHeader::Ipv4);
            let (mut buf, payload) = framed(&inner);
            // the counter itself works
            let before = allocations();
            drop(std::hint::black_box(vec![1u8; 10]));
            assert_eq!(allocations(), before + 1);

            let before = allocations();
            let mut total = 0usize;
            for i in 0..1000usize {
                // vary the size without allocating: shrink the payload
                let p = payload.start..payload.end - (i % 64);
                let esp = out.seal(&mut buf, p, NextHeader::Ipv4).unwrap();
                let opened = inb.open(&mut buf[esp]).unwrap();
                total += opened.inner.len();
            }
            let during = allocations() - before;
            assert_eq!(
                during,
                0,
                "{}: {during} allocations",
                name(encr, integ, esn)
            );
            assert!(total > 0);
            assert_eq!(inb.stats().packets, 1000);
        }
    }
}
