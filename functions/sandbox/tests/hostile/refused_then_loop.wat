;; Asks for more memory than the ceiling (refused: memory.grow returns -1), then for one
;; page (granted), then loops forever. What ends the step is the loop, not the refusal.
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "sva_abi_version") (result i32) i32.const 1)
  (func (export "sva_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get $len)))
    (local.get $p))
  (func (export "sva_step") (param i32 i32) (result i64)
    (drop (memory.grow (i32.const 60000)))
    (drop (memory.grow (i32.const 1)))
    (loop $forever (br $forever))
    i64.const 0)
)
