//! `/royalties`: royalty statements (printable). The statements come from the royalties API
//! (`/v1/royalty-statements`, issue 7), which is not on this branch yet: until it is, the page
//! and the overview's "royalty due" say so instead of showing numbers.

use axum::response::Response;
use hub_api::AppState;

use crate::session::Viewer;
use crate::view::{self, Layout, PageError, Section};

const WAITING: &str = "Royalty statements are not available in this build yet: they come from the royalties \
                       service (POST/GET /v1/royalty-statements), which this dashboard will show once it lands.";

/// The overview's "royalty due" section.
pub async fn due_section(_state: &AppState, _viewer: &Viewer) -> Result<Section, PageError> {
    Ok(Section::new("royalty-due", "Royalty due").note(WAITING))
}

/// `GET /royalties`.
pub async fn statements(viewer: Viewer) -> Result<Response, PageError> {
    let layout = Layout::new(&viewer, "Royalty statements", "/royalties");
    view::printable_page(&layout, "Royalty statements", &[Section::new("statements", "Statements").note(WAITING)])
}
