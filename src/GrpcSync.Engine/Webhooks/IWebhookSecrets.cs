namespace GrpcSync.Engine.Webhooks;

/// <summary>
/// Turns an endpoint's stored (protected) secret back into its <c>whsec_</c> form for signing. The server
/// implements it with ASP.NET Core Data Protection (purpose <c>GrpcSync.Webhooks.Secret.v1</c>); workers hold
/// plain secrets only while signing and never log them.
/// </summary>
public interface IWebhookSecrets
{
    string Reveal(string protectedSecret);
}
