//! Writing a model back out as YAML (`mimeo state infer`).

use super::StateModel;
use crate::contract::Contract;

pub(super) fn yaml(_model: &StateModel, _contract: &Contract) -> String {
    String::new()
}
