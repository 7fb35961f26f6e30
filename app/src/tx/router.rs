//! Messages the chain understands: every module decodes its own (`Module::decode_msg`),
//! asked in the order of the app's module list.

use std::ops::Deref;

use pol_component::{ModuleMsg, TxError};
use tendermint_proto::google::protobuf::Any;

use crate::modules::Modules;

/// A decoded message and the module that handles it.
#[derive(Debug)]
pub struct Msg {
    /// The module's name, as the `message` event reports it.
    pub module: &'static str,
    pub msg: Box<dyn ModuleMsg>,
}

impl Msg {
    pub fn decode(modules: Modules, any: &Any) -> Result<Msg, TxError> {
        let (module, msg) = modules.decode_msg(any)?;
        Ok(Msg { module, msg })
    }

    /// The concrete message, if it is an `M`.
    pub fn downcast<M: 'static>(&self) -> Option<&M> {
        self.msg.as_any().downcast_ref()
    }
}

impl Deref for Msg {
    type Target = dyn ModuleMsg;
    fn deref(&self) -> &Self::Target {
        self.msg.as_ref()
    }
}
