//! Variables of a constraint system.

/// A variable of the constraint system: an index into one of the secret
/// vectors, or the constant one. Gadgets get variables from the constraint
/// system (commitments and multipliers); an index that names no wire is
/// reported by proving or verification as [`crate::R1CSError::UnknownVariable`].
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
