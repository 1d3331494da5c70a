namespace GrpcSync.Engine.Webhooks;

/// <summary>A webhook attempt refused before connecting: its host resolves to an address that is not public (SSRF).</summary>
public sealed class WebhookAddressRefusedException(string message) : Exception(message);
