using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Configuration;

/// <summary>Refuses bad event-log settings at startup, naming each problem.</summary>
internal sealed class EventOptionsValidator : IValidateOptions<EventOptions>
{
    public ValidateOptionsResult Validate(string? name, EventOptions options)
    {
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
