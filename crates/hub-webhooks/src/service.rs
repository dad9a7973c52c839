//! The webhook runtime of one hub process: the inbound receiver and processor, the outbound
//! producer, emitter and dispatcher, wired together, with their background loops.

use std::sync::Arc;

use hub_oauth::CredentialVault;
use hub_store::Store;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::inbound::InboundService;
use crate::inbound::processor::{InboundApplier, InboundProcessor};
use crate::inbound::sources::SourceDirectory;
use crate::outbound::{Dispatcher, Emitter, EndpointDirectory, Producer};
use crate::runtime_error::RuntimeError;
use crate::settings::WebhookSettings;

/// Everything webhooks need at run time. Shared by the API handlers and the background loops.
pub struct WebhookService {
    store: Arc<dyn Store>,
    settings: WebhookSettings,
    inbound: InboundService,
    endpoints: EndpointDirectory,
    emitter: Emitter,
    dispatcher: Dispatcher,
    producer: Producer,
    processor_wake: Arc<Notify>,
}

impl WebhookService {
    /// The runtime over `store`, sealing secrets with `vault`.
    pub fn new(
        store: Arc<dyn Store>,
        vault: Arc<CredentialVault>,
        settings: WebhookSettings,
    ) -> Result<Self, RuntimeError> {
        settings.validate().map_err(RuntimeError::Misconfigured)?;
        let processor_wake = Arc::new(Notify::new());
        let dispatcher_wake = Arc::new(Notify::new());
        let sources = Arc::new(SourceDirectory::new(Arc::clone(&store), Arc::clone(&vault)));
        let inbound = InboundService::new(
            Arc::clone(&store),
            sources,
            settings.public_url.clone(),
            settings.inbound_batch,
            Arc::clone(&processor_wake),
        );
        let emitter = Emitter::new(Arc::clone(&store), Arc::clone(&dispatcher_wake));
        let dispatcher = Dispatcher::new(
            Arc::clone(&store),
            Arc::clone(&vault),
            settings.clone(),
            Arc::clone(&dispatcher_wake),
            emitter.clone(),
        )
        .map_err(|error| RuntimeError::Misconfigured(format!("the delivery client: {error}")))?;
        let producer = Producer::new(Arc::clone(&store), dispatcher_wake, settings.poll_interval);
        let endpoints = EndpointDirectory::new(Arc::clone(&store), vault, settings.allow_list.clone());
        Ok(Self { store, settings, inbound, endpoints, emitter, dispatcher, producer, processor_wake })
    }

    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// Receives inbound deliveries; registers and rotates sources.
    pub fn inbound(&self) -> &InboundService {
        &self.inbound
    }

    /// Registers endpoints and rotates their secrets.
    pub fn endpoints(&self) -> &EndpointDirectory {
        &self.endpoints
    }

    /// What other components emit platform events through.
    pub fn emitter(&self) -> &Emitter {
        &self.emitter
    }

    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    pub fn producer(&self) -> &Producer {
        &self.producer
    }

    /// A processor of stored inbound deliveries that hands them to `applier`.
    pub fn processor(&self, applier: Arc<dyn InboundApplier>) -> InboundProcessor {
        InboundProcessor::new(
            Arc::clone(&self.store),
            applier,
            Arc::clone(&self.processor_wake),
            self.settings.poll_interval,
            self.settings.inbound_retention,
        )
    }

    /// Starts the background loops (processor, producer, dispatcher) until `shutdown`.
    pub fn start(&self, applier: Arc<dyn InboundApplier>, shutdown: CancellationToken) -> Vec<JoinHandle<()>> {
        let processor = self.processor(applier);
        let producer =
            Producer::new(Arc::clone(&self.store), dispatcher_wake(&self.dispatcher), self.settings.poll_interval);
        let dispatcher = self.dispatcher.clone();
        let (first, second, third) = (shutdown.clone(), shutdown.clone(), shutdown);
        vec![
            tokio::spawn(async move { processor.run(first).await }),
            tokio::spawn(async move { producer.run(second).await }),
            tokio::spawn(async move { dispatcher.run(third).await }),
        ]
    }
}

fn dispatcher_wake(dispatcher: &Dispatcher) -> Arc<Notify> {
    dispatcher.wake_handle()
}
