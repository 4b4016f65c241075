//! The assembler (docs/spec/asm.md) must never panic on any text, and
//! whatever it assembles must disassemble, and that text must assemble to
//! the same bytes. Any bytes that parse as a program must survive
//! disassembly and reassembly unchanged too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkvm::asm::{assemble, disassemble, Params};
use zkvm::Program;

fuzz_target!(|data: &[u8]| {
    let mut params = Params::new();
    params
        .insert("n", 7u64)
        .insert("b", vec![1u8, 2, 3])
        .insert("lit", "u32:9");
    if let Ok(text) = core::str::from_utf8(data) {
        if let Ok(bytes) = assemble(text, &params) {
            let printed = disassemble(&bytes).expect("assembled bytes disassemble");
            let again = assemble(&printed, &Params::new()).expect("printed text assembles");
            assert_eq!(again, bytes, "re-assembly differs:\n{printed}");
        }
    }
    if Program::parse(data).is_ok() {
        let printed = disassemble(data).expect("a program disassembles");
        let again = assemble(&printed, &Params::new()).expect("printed text assembles");
        assert_eq!(again, data, "re-assembly differs:\n{printed}");
    }
});
