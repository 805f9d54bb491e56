//! `mimeo state`: state models outside a running server (`infer` prints the model
//! mimeo would use for a contract), and the stateful options of `mimeo serve`.

use std::sync::Arc;

use mimeo::state::{Seed, StateModel, StateOptions};
use mimeo::Contract;

use super::args::{StateArgs, StateCommand};
use super::{fail, load_contract};

pub(crate) fn run(cmd: StateCommand) -> i32 {
    match cmd {
        StateCommand::Infer { spec } => {
            let contract = match load_contract(spec.as_deref()) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            super::out::stdout(&StateModel::infer(&contract).to_yaml(&contract));
            0
        }
    }
}

/// The model and options of `--stateful` (and the flags that imply it), or
/// `None` when the mock is stateless.
pub(crate) fn options(
    args: &StateArgs,
    contract: &Contract,
) -> Result<Option<(Arc<StateModel>, StateOptions)>, String> {
    if !(args.stateful || args.state_model.is_some() || args.seed_state.is_some()) {
        return Ok(None);
    }
    let model = match &args.state_model {
        Some(path) => StateModel::from_file(path, contract),
        None => StateModel::for_contract(contract),
    }
    .map_err(|e| e.to_string())?;
    let seed = match &args.seed_state {
        Some(path) => Some(Seed::from_file(path, contract, &model).map_err(|e| e.to_string())?),
        None => None,
    };
    let opts = StateOptions {
        settle: args.settle,
        strict: args.state_strict,
        seed,
        max_sessions: args.max_sessions as usize,
        ..StateOptions::default()
    };
    Ok(Some((Arc::new(model), opts)))
}
