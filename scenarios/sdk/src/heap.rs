//! The module's heap: a bump allocator, because an instance lives for one step.
//!
//! The host runs every step in a fresh instance and throws it away afterwards (ABI v1),
//! so nothing a step allocates needs to be given back. Handing out memory from a
//! pointer that only moves forward costs a few instructions per allocation, where a
//! general allocator spends its time on free lists a step never reuses. Two cases are
//! still reclaimed, because serialising and string building rely on them: freeing the
//! newest block moves the pointer back, and growing the newest block (a `Vec` or
//! `String` being pushed to) extends it in place.
//!
//! A step that allocates more than the host's memory ceiling in total fails with the
//! host's memory-limit error, as it would with any allocator that ran out. A scenario
//! that churns through far more memory than it holds at once can turn the SDK's
//! `step-heap` feature off to get the standard allocator back.

#[cfg(target_feature = "atomics")]
compile_error!("the step heap assumes one thread: build without the `atomics` feature");

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;

/// Wasm pages are 64 KiB.
const PAGE: usize = 64 << 10;
/// Memory is grown by at least this much at a time (each `memory.grow` is a host call).
const GROW: usize = 16;

/// The allocator; installed as the module's global allocator by the SDK.
pub struct StepHeap {
    /// The next free byte; 0 until the first allocation.
    next: Cell<usize>,
    /// The end of memory.
    end: Cell<usize>,
    /// Where the newest block starts (the only one that can be freed or grown in place).
    newest: Cell<usize>,
}

// SAFETY: `wasm32-unknown-unknown` modules run on one thread; the ABI forbids threads
// (the host refuses shared memories), so the cells are never touched concurrently.
unsafe impl Sync for StepHeap {}

unsafe extern "C" {
    /// The first byte after the stack and static data (defined by the linker).
    static __heap_base: u8;
}

impl StepHeap {
    /// An allocator that starts at the linker's heap base on first use.
    pub const fn new() -> StepHeap {
        StepHeap {
            next: Cell::new(0),
            end: Cell::new(0),
            newest: Cell::new(0),
        }
    }

    /// Makes `[.., end)` addressable, growing memory if needed; false when it cannot.
    fn reserve(&self, end: usize) -> bool {
        if end <= self.end.get() {
            return true;
        }
        let pages = (end - self.end.get()).div_ceil(PAGE).max(GROW);
        if wasm32::memory_grow(0, pages) == usize::MAX {
            // Perhaps the ceiling still allows exactly what is needed.
            let exact = (end - self.end.get()).div_ceil(PAGE);
            if exact == pages || wasm32::memory_grow(0, exact) == usize::MAX {
                return false;
            }
        }
        self.end.set(wasm32::memory_size(0).saturating_mul(PAGE));
        true
    }
}

impl Default for StepHeap {
    fn default() -> Self {
        StepHeap::new()
    }
}

// SAFETY: blocks never overlap (the pointer only moves back over the newest block when
// it is freed or regrown), are aligned as asked, and lie in memory made addressable
// by `reserve`.
unsafe impl GlobalAlloc for StepHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.next.get() == 0 {
            let base = &raw const __heap_base as usize;
            self.next.set(base.max(1));
            self.end.set(wasm32::memory_size(0).saturating_mul(PAGE));
        }
        let align = layout.align();
        let Some(start) = self
            .next
            .get()
            .checked_add(align - 1)
            .map(|a| a & !(align - 1))
        else {
            return core::ptr::null_mut();
        };
        let Some(end) = start.checked_add(layout.size()) else {
            return core::ptr::null_mut();
        };
        if !self.reserve(end) {
            return core::ptr::null_mut();
        }
        self.next.set(end);
        self.newest.set(start);
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        if ptr as usize == self.newest.get() {
            self.next.set(self.newest.get());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = ptr as usize;
        if start == self.newest.get() {
            let Some(end) = start.checked_add(new_size) else {
                return core::ptr::null_mut();
            };
            if !self.reserve(end) {
                return core::ptr::null_mut();
            }
            self.next.set(end);
            return ptr;
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // SAFETY: `layout.align()` is a valid alignment and the caller guarantees
        // `new_size` rounded to it does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as for any allocation.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for the old size and do not overlap.
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size()) };
        }
        new
    }
}
