//! Who may do what, globally: rules that need no data.

use crate::error::AppError;
use crate::model::{Caller, Role};

/// 403 unless the caller holds one of `roles`.
pub fn require(caller: &Caller, roles: &[Role]) -> Result<(), AppError> {
    if roles.contains(&caller.user.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden("Insufficient permissions".into()))
    }
}
