//! Stack items and their type rules (docs/spec/zkvm.md §Types): which
//! items can be copied, dropped or stored in contracts.

use crate::errors::VMError;
use crate::{
    Constraint, Contract, Data, Expression, PortableItem, ProgramItem, Value, Variable, WideValue,
};

/// An item on the VM stack.
#[derive(Clone, Debug)]
pub enum Item {
    /// String: copyable, droppable, portable.
    String(Data),
    /// Program: droppable, portable; not copyable (no repeated execution).
    Program(ProgramItem),
    /// Contract: linear.
    Contract(Contract),
    /// Value: linear, portable.
    Value(Value),
    /// Wide value: linear.
    WideValue(WideValue),
    /// Variable: copyable, droppable.
    Variable(Variable),
    /// Expression: droppable.
    Expression(Expression),
    /// Constraint: droppable.
    Constraint(Constraint),
}

macro_rules! take {
    ($fn:ident, $variant:ident, $ty:ty, $name:literal) => {
        #[doc = concat!("The item as a ", $name, ", or a type error.")]
        pub fn $fn(self) -> Result<$ty, VMError> {
            match self {
                Item::$variant(x) => Ok(x),
                other => Err(VMError::WrongType {
                    expected: $name,
                    found: other.type_name(),
                }),
            }
        }
    };
}

impl Item {
    /// The type's name, for errors.
    pub fn type_name(&self) -> &'static str {
        match self {
            Item::String(_) => "string",
            Item::Program(_) => "program",
            Item::Contract(_) => "contract",
            Item::Value(_) => "value",
            Item::WideValue(_) => "wide value",
            Item::Variable(_) => "variable",
            Item::Expression(_) => "expression",
            Item::Constraint(_) => "constraint",
        }
    }

    take!(to_string, String, Data, "string");
    take!(to_program, Program, ProgramItem, "program");
    take!(to_contract, Contract, Contract, "contract");
    take!(to_value, Value, Value, "value");
    take!(to_variable, Variable, Variable, "variable");
    take!(to_expression, Expression, Expression, "expression");
    take!(to_constraint, Constraint, Constraint, "constraint");

    /// A copy, for `dup`: only strings and variables are copyable.
    pub fn copy(&self) -> Result<Item, VMError> {
        match self {
            Item::String(_) | Item::Variable(_) => Ok(self.clone()),
            other => Err(VMError::WrongType {
                expected: "copyable item (string or variable)",
                found: other.type_name(),
            }),
        }
    }

    /// Checks the item may be dropped: values, wide values and contracts
    /// may not.
    pub fn check_droppable(&self) -> Result<(), VMError> {
        match self {
            Item::Contract(_) | Item::Value(_) | Item::WideValue(_) => Err(VMError::WrongType {
                expected: "droppable item",
                found: self.type_name(),
            }),
            _ => Ok(()),
        }
    }

    /// The item as a contract payload item: strings, programs and values.
    pub fn to_portable(self) -> Result<PortableItem, VMError> {
        match self {
            Item::String(d) => Ok(PortableItem::String(d)),
            Item::Program(p) => Ok(PortableItem::Program(p)),
            Item::Value(v) => Ok(PortableItem::Value(v)),
            other => Err(VMError::WrongType {
                expected: "portable item (string, program or value)",
                found: other.type_name(),
            }),
        }
    }
}

impl From<PortableItem> for Item {
    fn from(p: PortableItem) -> Self {
        match p {
            PortableItem::String(d) => Item::String(d),
            PortableItem::Program(p) => Item::Program(p),
            PortableItem::Value(v) => Item::Value(v),
        }
    }
}
