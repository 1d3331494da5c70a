using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Configuration;

/// <summary>Refuses bad webhook settings at startup, naming each problem.</summary>
internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
