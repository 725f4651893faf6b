"""LangChain tools that agents bind: score a prompt or a draft, page through mistakes, retrieve priors and
exemplars, check a draft's facts, score its style. The scoring itself is in `scoring/`."""
