//! Re-encryption after a master key rotation: every network gets a new data key and every stored
//! secret is re-sealed with it, while the hub keeps serving (writes compare-and-set on versions).

use std::collections::HashSet;

use hub_core::id::NetworkId;
use hub_store::{ChangeContext, ProviderSettingsRecord, Store};

use crate::vault::{CredentialVault, VaultFailure};

/// What a re-encryption pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReencryptReport {
    pub networks: usize,
    pub connections: usize,
    pub provider_secrets: usize,
}

/// Re-seals every connection's credentials and every provider client secret under a fresh data
/// key per network. `progress` is called after each connection with (done, total).
pub async fn reencrypt_all(
    store: &dyn Store,
    vault: &CredentialVault,
    ctx: &ChangeContext,
    mut progress: impl FnMut(usize, usize),
) -> Result<ReencryptReport, VaultFailure> {
    let connections = store.all_connection_ids().await?;
    let mut networks: Vec<NetworkId> = store.list_networks().await?.into_iter().map(|network| network.id).collect();
    let mut seen: HashSet<NetworkId> = networks.iter().cloned().collect();
    for (network_id, _) in &connections {
        if seen.insert(network_id.clone()) {
            networks.push(network_id.clone());
        }
    }
    let mut report = ReencryptReport::default();
    for network_id in &networks {
        vault.start_new_data_key(network_id).await?;
        report.networks += 1;
        for record in store.list_provider_settings(network_id).await? {
            let Some(sealed) = &record.sealed_client_secret else { continue };
            let owner = format!("provider-settings:{}", record.provider);
            let secret = vault.open(network_id, &owner, sealed).await?;
            let resealed = vault.seal(network_id, &owner, &secret).await?;
            let updated = ProviderSettingsRecord { sealed_client_secret: Some(resealed), ..record };
            store.put_provider_settings(network_id, ctx, &updated).await?;
            report.provider_secrets += 1;
        }
    }
    let total = connections.len();
    for (done, (network_id, id)) in connections.iter().enumerate() {
        // A refresh may write between our read and our write: read again and retry.
        for _ in 0..10 {
            let stored = store.read_credentials(network_id, id, ctx).await?;
            let Some(sealed) = stored.sealed else { break };
            let plaintext = vault.open(network_id, id.as_str(), &sealed).await?;
            let resealed = vault.seal(network_id, id.as_str(), &plaintext).await?;
            if store.reseal_credentials(network_id, id, stored.version, &resealed).await? {
                report.connections += 1;
                break;
            }
        }
        progress(done + 1, total);
    }
    Ok(report)
}
