"""LangChain tools that agents call: evaluate a prompt, retrieve priors, score style, check facts."""
