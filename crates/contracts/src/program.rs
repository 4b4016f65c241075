//! The building blocks of the templates' branch programs, as assembly
//! (docs/spec/contracts.md §Building blocks). A branch starts with the
//! contract's value on the stack and leaves it there for the caller.

use wallet::{Address, Branch};
use zkvm::asm::{self, Params};

use crate::ContractsError;

/// `name` must sign the transaction: the value is wrapped in a contract
/// locked by its key and unwrapped at once by `signtx`, which adds the key
/// to the transaction's signers.
pub(crate) fn signed_by(name: &str) -> String {
    format!("push point:${name}; contract:1; signtx\n")
}

/// The transaction's `mintime` is at least `$param`: it can only be
/// included in a block from that time on.
pub(crate) fn not_before(param: &str) -> String {
    format!("mintime; push ${param}; scalar; neg; add; range; drop\n")
}

/// The parameters every template fills: each party's key as a point
/// literal under its name.
pub(crate) fn party_params(parties: &[(&str, &Address)]) -> Params {
    let mut params = Params::new();
    for (name, address) in parties {
        let hex: String = address
            .predicate()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        params.insert(name, format!("point:0x{hex}"));
    }
    params
}

/// A named branch assembled from `text` with `params`.
pub(crate) fn branch(name: &str, text: &str, params: &Params) -> Result<Branch, ContractsError> {
    Ok(Branch {
        name: name.to_string(),
        program: asm::assemble(text, params).map_err(ContractsError::Assembly)?,
    })
}
