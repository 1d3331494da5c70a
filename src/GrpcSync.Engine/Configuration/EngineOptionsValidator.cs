using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Configuration;

/// <summary>Refuses bad engine settings at startup, naming each problem.</summary>
internal sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
