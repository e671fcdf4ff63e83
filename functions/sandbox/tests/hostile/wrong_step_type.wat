;; Exports sva_step with the wrong signature.
(module
  (memory (export "memory") 1)
  (func (export "sva_abi_version") (result i32) i32.const 1)
  (func (export "sva_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "sva_step") (param i32) (result i32) i32.const 0)
)
