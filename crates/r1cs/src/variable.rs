//! Variables of a constraint system.

/// A variable of the constraint system: an index into one of the secret
/// vectors, or the constant one. Variables are created only by the constraint
/// system (commitments and multipliers), so an index always refers to an
/// existing wire of the system that created it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Variable {
    /// The i-th high-level committed value (`V_i`).
    Committed(usize),
    /// The left input of the i-th multiplier (`a_L[i]`).
    MultiplierLeft(usize),
    /// The right input of the i-th multiplier (`a_R[i]`).
    MultiplierRight(usize),
    /// The output of the i-th multiplier (`a_O[i]`).
    MultiplierOutput(usize),
    /// The constant 1.
    One,
}
